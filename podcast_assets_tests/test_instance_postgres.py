"""The PostgreSQL instance (`instances/postgres/dagster.yaml`), against a real PostgreSQL.

The slow test starts a throwaway server (`postgres.py`; skipped with the reason when this
machine has no PostgreSQL) and runs the console script as `make run-postgres` does: the
instance chosen by DAGSTER_HOME, its connection by DAGSTER_PG_URL, nothing edited. The fast
test keeps the instance's other settings in step with the default instance's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import yaml

from podcast_assets.defs.partitions import EPISODE_PARTITIONS_NAME
from podcast_assets.defs.run_requests import TRIGGER_TAG

from .conftest import REPO
from .postgres import Postgres, postgres_or_skip

PG_INSTANCE = REPO / "instances" / "postgres"
CONSOLE_SCRIPT = str(Path(sys.executable).parent / "podcast-assets")
# The sections that say where the instance keeps things; every other section is shared.
_STORAGE_SECTIONS = {
    "storage",
    "run_storage",
    "event_log_storage",
    "schedule_storage",
    "local_artifact_storage",
    "compute_logs",
}


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_instance_postgres_shares_every_setting_but_storage():
    pg, default = _load(PG_INSTANCE / "dagster.yaml"), _load(REPO / "dagster.yaml")
    assert {k: v for k, v in pg.items() if k not in _STORAGE_SECTIONS} == {
        k: v for k, v in default.items() if k not in _STORAGE_SECTIONS
    }
    assert pg["storage"] == {"postgres": {"postgres_url": {"env": "DAGSTER_PG_URL"}}}
    # Relative to the working directory: the repository root's .dagster/, beside the SQLite
    # instance's files, not inside them.
    assert pg["local_artifact_storage"]["config"]["base_dir"] == ".dagster/postgres"
    assert pg["compute_logs"]["config"]["base_dir"] == ".dagster/postgres/logs"
    # Dagster's instance schema accepts it (it raises on an unknown key); nothing connects.
    from dagster._core.instance.config import dagster_instance_config

    config, _ = dagster_instance_config(str(PG_INSTANCE))
    assert config["storage"] == pg["storage"]


def test_instance_lake_is_the_postgres_instance_with_concurrent_writers():
    lake = _load(REPO / "instances" / "lake" / "dagster.yaml")
    pg = _load(PG_INSTANCE / "dagster.yaml")
    differ = {"concurrency", "local_artifact_storage", "compute_logs"}
    assert {k: v for k, v in lake.items() if k not in differ} == {
        k: v for k, v in pg.items() if k not in differ
    }
    assert lake["concurrency"]["runs"]["max_concurrent_runs"] > 1
    assert (
        lake["concurrency"]["pools"]["default_limit"]
        == (lake["concurrency"]["runs"]["max_concurrent_runs"])
    )
    assert lake["local_artifact_storage"]["config"]["base_dir"] == ".dagster/lake"
    from dagster._core.instance.config import dagster_instance_config

    dagster_instance_config(str(REPO / "instances" / "lake"))


@pytest.fixture(scope="module")
def pg() -> Iterator[Postgres]:
    with postgres_or_skip() as server:
        yield server


def _refresh(root: Path, home: Path, url: str) -> subprocess.CompletedProcess[str]:
    """`make run-postgres`, on the test's raw dir and warehouse, from `root` (as from the repo)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PODCAST_", "DAGSTER_"))}
    env |= {"DAGSTER_HOME": str(home), "DAGSTER_PG_URL": url, "DAGSTER_EVENT_BATCH_SIZE": "1000"}
    raw, db = root / "raw", root / "warehouse.duckdb"
    return subprocess.run(
        [CONSOLE_SCRIPT, "refresh", "--raw-dir", str(raw), "--warehouse", str(db)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _episode_ids(db: Path) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [r[0] for r in con.execute("SELECT episode_id FROM episodes ORDER BY 1").fetchall()]


@pytest.mark.slow
def test_instance_postgres_records_refresh_runs_in_postgres(pg, tmp_path, monkeypatch):
    # The instance directory as shipped (a copy, so the CLI's lock file stays in tmp), run from
    # a directory that, like the repository root, also holds the default dagster.yaml: the
    # explicit DAGSTER_HOME must win over it.
    home = tmp_path / "instance"
    home.mkdir()
    shutil.copy(PG_INSTANCE / "dagster.yaml", home / "dagster.yaml")
    shutil.copy(REPO / "dagster.yaml", tmp_path / "dagster.yaml")
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "ep-one.txt").write_text(
        "This is episode number 1 of the Tiny Show with Ada Lovelace.\n"
        "We talk about DuckDB and PostgreSQL for analytics on a laptop.\n",
        encoding="utf-8",
    )
    (raw / "ep-two.txt").write_text(
        "This is episode number 2 of the Tiny Show with Grace Hopper.\n"
        "Compilers, COBOL and why the Navy kept a nanosecond of wire.\n",
        encoding="utf-8",
    )

    started = time.monotonic()
    first = _refresh(tmp_path, home, pg.url)
    first_s = time.monotonic() - started
    assert first.returncode == 0, first.stdout + first.stderr
    assert _episode_ids(tmp_path / "warehouse.duckdb") == ["ep-one", "ep-two"]

    (raw / "ep-three.txt").write_text(
        "This is episode number 3 of the Tiny Show with Alan Turing.\n"
        "Machines that think, and the imitation game.\n",
        encoding="utf-8",
    )
    second = _refresh(tmp_path, home, pg.url)
    assert second.returncode == 0, second.stdout + second.stderr
    assert _episode_ids(tmp_path / "warehouse.duckdb") == ["ep-one", "ep-three", "ep-two"]

    # In PostgreSQL's own tables: two successful runs of the CLI, their events, the partitions.
    con = pg.connect()
    try:
        with con.cursor() as cur:
            cur.execute(
                "SELECT run_id, status FROM runs WHERE pipeline_name = 'refresh_job' "
                "ORDER BY create_timestamp"
            )
            runs = cur.fetchall()
            cur.execute(
                "SELECT count(*) FROM event_logs WHERE run_id = ANY(%s)", ([r[0] for r in runs],)
            )
            (events,) = cur.fetchone()
            cur.execute(
                "SELECT partition FROM dynamic_partitions WHERE partitions_def_name = %s "
                "ORDER BY partition",
                (EPISODE_PARTITIONS_NAME,),
            )
            partitions = [r[0] for r in cur.fetchall()]
    finally:
        con.close()
    assert [status for _, status in runs] == ["SUCCESS", "SUCCESS"]
    assert events > 0
    assert partitions == ["ep-one", "ep-three", "ep-two"]

    # The same through Dagster, as the UI would read it with this instance directory.
    import dagster as dg

    monkeypatch.setenv("DAGSTER_PG_URL", pg.url)
    monkeypatch.chdir(tmp_path)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        recorded = instance.get_runs(filters=dg.RunsFilter(job_name="refresh_job"))
        assert {r.run_id for r in recorded} == {run_id for run_id, _ in runs}
        assert {r.tags.get(TRIGGER_TAG) for r in recorded} == {"cli"}
        assert sorted(instance.get_dynamic_partitions(EPISODE_PARTITIONS_NAME)) == partitions
        assert instance.get_materialized_partitions(dg.AssetKey("episodes")) == set(partitions)

    # The instance's files went under the working directory's .dagster/postgres/, as from the
    # repository root; DAGSTER_HOME holds no file but dagster.yaml and the CLI's lock.
    assert (tmp_path / ".dagster" / "postgres" / "logs" / runs[0][0]).is_dir()
    assert not (tmp_path / ".dagster" / "storage").exists()  # no SQLite instance was opened
    assert sorted(str(p.relative_to(home)) for p in home.rglob("*") if p.is_file()) == [
        ".dagster/instance.lock",
        "dagster.yaml",
    ]
    print(f"postgres start {pg.start_seconds:.2f} s; first refresh {first_s:.1f} s")
