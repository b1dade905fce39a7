"""The DuckLake backend against the DuckDB file, on the same refresh of the seeds.

One refresh of the sample files into each backend (in process, temporary instances): the lake
must hold the same rows in every table and view, describe itself the same way, pass the same
asset checks, export the same Parquet, and seal `podcast-assets sql` as tightly. The lake's
catalog is a throwaway PostgreSQL (`lake_server`; skipped, saying why, without one).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from podcast_assets import export, query, warehouse
from podcast_assets.schema import TABLES
from podcast_assets.views import VIEWS
from podcast_assets_tests.conftest import copy_seeds, new_lake
from podcast_assets_tests.test_query import SEALED, SECRET

pytestmark = pytest.mark.slow


def _refresh(root: Path, target: Any) -> Any:
    import dagster as dg

    from podcast_assets.definitions import defs
    from podcast_assets.runner import run_refresh

    raw = root / "raw"
    if not raw.exists():
        copy_seeds(raw)
    (root / "dagster").mkdir(exist_ok=True)
    with dg.instance_for_test(temp_dir=str(root / "dagster")) as instance:
        summary = run_refresh(defs, raw, target, instance)
        checks = {
            (str(e.asset_key), e.check_name, e.passed)
            for record in instance.get_records_for_run(
                run_id=summary.run_ids[0], of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
            ).records
            if (e := record.event_log_entry.dagster_event.event_specific_data)
        }
    return summary, checks


@pytest.fixture(scope="module")
def both(lake_server, tmp_path_factory) -> Iterator[dict[str, Any]]:
    """{"file": (target, summary, checks), "lake": (...)}: the seeds refreshed into each."""
    from podcast_assets.warehouse import lake

    root = tmp_path_factory.mktemp("backends")
    data = root / "lake-data"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PODCAST_LAKE_DATA", str(data))
        targets = {"file": root / "file" / "w.duckdb", "lake": new_lake(lake_server, data)}
        out: dict[str, Any] = {}
        for name, target in targets.items():
            (root / name).mkdir(exist_ok=True)
            out[name] = (target, *_refresh(root / name, target))
        yield out
        lake.forget()


def _rows(target: Any, sql: str) -> list[tuple[Any, ...]]:
    with warehouse.open_reader(target) as con:
        return sorted(con.execute(sql).fetchall(), key=repr)


def _compared(target: Any, name: str) -> str:
    """Every column of a table or view but the times a refresh wrote (`ingested_at`, a
    leaderboard's `first_seen`, ...), which differ between two refreshes."""
    with warehouse.open_reader(target) as con:
        described = warehouse.describe(con)
    return ", ".join(
        column
        for table, column, kind, _ in described
        if table == name and column and ("TIMESTAMP" not in kind or column == "published_at")
    )


def test_lake_holds_the_same_rows_in_every_table_and_view(both):
    file, lake = both["file"][0], both["lake"][0]
    assert both["lake"][1].failed_runs == [] and both["file"][1].failed_runs == []
    for name in [t.name for t in TABLES] + [v.name for v in VIEWS]:
        sql = f"SELECT {_compared(file, name)} FROM {name}"
        assert _rows(lake, sql) == _rows(file, sql), name
    assert _rows(lake, "SELECT count(*) FROM segments")[0][0] > 100


def test_lake_passes_the_same_asset_checks(both):
    file_checks, lake_checks = both["file"][2], both["lake"][2]
    assert lake_checks == file_checks
    assert lake_checks and all(passed for *_, passed in lake_checks)


def test_lake_describes_itself_as_the_file_does(both):
    def described(target: Any) -> list[tuple[str, str, str, str]]:
        with warehouse.open_reader(target) as con:
            return warehouse.describe(con)

    # The file also has the search index, which a lake cannot hold.
    file = [row for row in described(both["file"][0]) if not row[0].startswith("search_")]
    assert described(both["lake"][0]) == file


def test_lake_exports_the_same_tables(both, tmp_path):
    assert export.export_parquet(both["lake"][0], tmp_path / "lake") == export.export_parquet(
        both["file"][0], tmp_path / "file"
    )


def _snapshot(target: Any) -> int:
    with warehouse.open_reader(target) as con:
        return con.execute("SELECT max(snapshot_id) FROM ducklake_snapshots('lake')").fetchall()[0][
            0
        ]


@pytest.mark.parametrize(("sql", "says", "targets"), SEALED.values(), ids=SEALED.keys())
def test_lake_query_connection_is_sealed_too(both, tmp_path, sql, says, targets):
    """The second wall of `podcast-assets sql`, attacked directly, on the lake."""
    target = both["lake"][0]
    (tmp_path / "secret.csv").write_text(f"a,b\n{SECRET},2\n")
    before = _snapshot(target)
    with query.open_query_connection(target, lock_timeout_s=5) as con:
        # The lake is attached read-only: a write names that instead of DuckDB's file mode.
        expected = re.escape(says).replace("read\\-only\\ mode", "read\\-only")
        with pytest.raises(duckdb.Error, match=expected.replace("read-only mode", "read-only")):
            con.execute(sql.format(out=tmp_path)).fetchall()
    for name in targets:
        assert not (tmp_path / name).exists()
    assert _snapshot(target) == before


def test_lake_query_reads_its_own_files_only(both):
    with query.open_query_connection(both["lake"][0], lock_timeout_s=5) as con:
        assert con.execute("SELECT count(*) FROM entity_leaderboard").fetchall()[0][0] > 0
        with pytest.raises(duckdb.Error, match="disabled by configuration"):
            con.execute("SELECT * FROM read_text('/etc/hostname')").fetchall()


def test_sensor_and_schedule_split_their_runs_on_a_lake(lake_server, tmp_path, monkeypatch):
    """What the sensor and the schedule plan: on a lake, PODCAST_CONCURRENT_RUNS runs over
    disjoint ranges that cover every new file; on a DuckDB file, one run."""
    import dagster as dg

    from podcast_assets.defs.run_requests import plan_from_world

    raw = tmp_path / "raw"
    raw.mkdir()
    for i in range(6):
        (raw / f"ep{i}.txt").write_text(f"Episode {i}. We talked about the weather.\n")
    monkeypatch.setenv("PODCAST_LAKE_DATA", str(tmp_path / "lake"))
    monkeypatch.setenv("PODCAST_CONCURRENT_RUNS", "3")
    targets = {"lake": new_lake(lake_server, tmp_path / "lake"), "file": tmp_path / "w.duckdb"}
    batches = {}
    for name, target in targets.items():
        with dg.instance_for_test() as instance:
            tick, _ = plan_from_world(
                raw, target, instance, lock_timeout_s=5, unregister_removed=True
            )
        batches[name] = [b.keys for b in tick.batches]
    assert batches["file"] == [tuple(f"ep{i}" for i in range(6))]
    assert batches["lake"] == [("ep0", "ep1"), ("ep2", "ep3"), ("ep4", "ep5")]
