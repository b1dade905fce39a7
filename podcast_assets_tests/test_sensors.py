"""raw_files_sensor against a real raw dir, DuckDB warehouse and Dagster instance.

Ticks are evaluated the way the daemon does (`evaluate_tick`, which also resolves partitions),
and their requests are carried out for real: partition requests applied to the instance, runs
executed in process with the requested job, partition, tags and config. One module-scoped
world runs the first tick on the sample files; every other test starts from a copy of it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from podcast_assets import steps, warehouse
from podcast_assets.defs.partitions import EPISODE_PARTITIONS_NAME
from podcast_assets.defs.resources import RawFilesResource, WarehouseResource
from podcast_assets.defs.run_requests import RANGE_END_TAG, RANGE_START_TAG, TRIGGER_TAG
from podcast_assets.defs.sensors import raw_files_sensor
from podcast_assets.rawfiles import episode_id_for
from podcast_assets.schema import EPISODE_TABLES

from .conftest import SEED_ENRICHED_881, SEED_ENRICHED_886, SEED_IDS, SEEDS_DIR, copy_seeds

# Runs the real pipeline (spaCy included) and starts a lock-holding process.
pytestmark = pytest.mark.slow

ASSETS = ("episodes", "segments", "mentions", "quotes", "topics")


@dataclass
class World:
    raw: Path
    db: Path
    instance: dg.DagsterInstance
    lock_timeout_s: float = 5.0

    def tick(self):
        """One sensor evaluation, as the daemon runs it."""
        from podcast_assets.definitions import defs

        context = dg.build_sensor_context(
            instance=self.instance,
            instance_ref=self.instance.get_ref(),
            definitions=defs,
            resources={
                "raw_files": RawFilesResource(path=str(self.raw)),
                "warehouse": WarehouseResource(
                    path=str(self.db), lock_timeout_s=self.lock_timeout_s
                ),
            },
        )
        return raw_files_sensor.evaluate_tick(context)

    def apply(self, tick) -> list[dg.ExecuteInProcessResult]:
        """Do what the daemon does with a tick: partition requests first, then the runs."""
        from podcast_assets.definitions import defs

        for request in tick.dynamic_partitions_requests or []:
            if isinstance(request, dg.AddDynamicPartitionsRequest):
                self.instance.add_dynamic_partitions(
                    request.partitions_def_name, list(request.partition_keys)
                )
            else:
                for key in request.partition_keys:
                    self.instance.delete_dynamic_partition(request.partitions_def_name, key)
        return [
            defs.resolve_job_def(run.job_name).execute_in_process(
                instance=self.instance,
                partition_key=run.partition_key,
                tags=run.tags,
                run_config=run.run_config or {},
                raise_on_error=False,
            )
            for run in tick.run_requests or []
        ]

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with warehouse.open_reader(self.db) as con:
            return con.execute(sql, params or []).fetchall()


def partition_requests(tick, kind: type) -> list[str]:
    return [
        key
        for request in tick.dynamic_partitions_requests or []
        if isinstance(request, kind)
        for key in request.partition_keys
    ]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """The sample files, refreshed by the sensor's first tick; then a second tick."""
    root = tmp_path_factory.mktemp("sensor-baseline")
    raw = root / "raw"
    copy_seeds(raw)
    db = root / "warehouse.duckdb"
    mp = pytest.MonkeyPatch()
    # The runs' resources resolve these at run time, as they do for `podcast-assets refresh`.
    mp.setenv("PODCAST_RAW_DIR", str(raw))
    mp.setenv("PODCAST_WAREHOUSE", str(db))
    with dg.instance_for_test() as instance:
        world = World(raw, db, instance)
        first = world.tick()
        results = world.apply(first)
        second = world.tick()
        yield {"world": world, "first": first, "results": results, "second": second}
    mp.undo()


@pytest.fixture
def world(baseline, tmp_path, monkeypatch):
    """A copy of the baseline: same files, same warehouse, same partitions in a new instance."""
    raw = tmp_path / "raw"
    shutil.copytree(baseline["world"].raw, raw)
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(baseline["world"].db, db)
    monkeypatch.setenv("PODCAST_RAW_DIR", str(raw))
    monkeypatch.setenv("PODCAST_WAREHOUSE", str(db))
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(EPISODE_PARTITIONS_NAME, SEED_IDS)
        yield World(raw, db, instance)


def test_sensor_registers_new_files_and_materializes_them_in_one_range_run(baseline):
    first, instance = baseline["first"], baseline["world"].instance
    assert partition_requests(first, dg.AddDynamicPartitionsRequest) == SEED_IDS
    [run] = first.run_requests
    assert run.job_name == "refresh_job"
    assert run.partition_key is None
    assert run.tags[RANGE_START_TAG] == SEED_IDS[0]
    assert run.tags[RANGE_END_TAG] == SEED_IDS[-1]
    assert run.tags[TRIGGER_TAG] == "sensor"
    assert run.run_key.startswith(f"refresh_job:{SEED_IDS[0]}..{SEED_IDS[-1]}@")
    [result] = baseline["results"]
    assert result.success
    assert len(instance.get_runs()) == 1
    for asset in ASSETS:
        assert instance.get_materialized_partitions(dg.AssetKey(asset)) == set(SEED_IDS), asset


def test_sensor_with_nothing_changed_skips_and_says_so(baseline):
    second = baseline["second"]
    assert second.skip_message == "nothing to refresh: 4 files unchanged"
    assert not second.run_requests
    assert not second.dynamic_partitions_requests


def test_sensor_reruns_only_the_partition_of_a_changed_file(world):
    changed = world.raw / SEED_ENRICHED_881
    changed.write_bytes(changed.read_bytes() + b"\nOne more line.\n")
    tick = world.tick()
    assert not tick.dynamic_partitions_requests
    [run] = tick.run_requests
    episode_id = Path(SEED_ENRICHED_881).stem
    assert (run.job_name, run.partition_key) == ("refresh_job", episode_id)
    assert run.tags["dagster/partition"] == episode_id
    assert RANGE_START_TAG not in run.tags
    assert all(r.success for r in world.apply(tick))
    assert world.query(
        "SELECT content_sha256 FROM episodes WHERE episode_id = ?", [episode_id]
    ) == [(hashlib.sha256(changed.read_bytes()).hexdigest(),)]
    assert world.tick().skip_message == "nothing to refresh: 4 files unchanged"


def test_sensor_unregisters_a_removed_file_and_prunes_its_rows_into_removals(world):
    episode_id = SEED_IDS[-1]
    (world.raw / f"{episode_id}.txt").unlink()
    before = {
        t.name: world.query(f"SELECT count(*) FROM {t.name} WHERE episode_id = ?", [episode_id])[0][
            0
        ]
        for t in EPISODE_TABLES
    }
    tick = world.tick()
    assert partition_requests(tick, dg.DeleteDynamicPartitionsRequest) == [episode_id]
    [run] = tick.run_requests
    assert run.job_name == "prune_job"
    assert run.run_config == {
        "ops": {"prune_partitions": {"config": {"episode_ids": [episode_id]}}}
    }
    [result] = world.apply(tick)
    assert result.success
    for table in EPISODE_TABLES:
        assert world.query(
            f"SELECT count(*) FROM {table.name} WHERE episode_id = ?", [episode_id]
        ) == [(0,)]
    [(source_file, rows_deleted)] = world.query(
        "SELECT source_file, rows_deleted FROM removals WHERE episode_id = ?", [episode_id]
    )
    assert source_file == f"{episode_id}.txt"
    assert json.loads(rows_deleted) == before
    assert episode_id not in world.instance.get_dynamic_partitions(EPISODE_PARTITIONS_NAME)
    assert world.tick().skip_message == "nothing to refresh: 3 files unchanged"


def test_sensor_gives_each_bad_file_its_own_run_and_good_new_files_one_range(world):
    bad = {
        "bad-empty.txt": b"",
        "bad-yaml.txt": b"---\ntitle: [unclosed\n---\n",
        "bad-times.srt": b"1\n00:00:05,000 --> 00:00:02,000\nhello\n\n",
    }
    for name, data in bad.items():
        (world.raw / name).write_bytes(data)
    # Enriched pages need no NLP, so the good run stays fast.
    shutil.copy(SEEDS_DIR / SEED_ENRICHED_886, world.raw / "zz-copy-a.txt")
    shutil.copy(SEEDS_DIR / SEED_ENRICHED_881, world.raw / "zz-copy-b.txt")
    tick = world.tick()
    bad_ids = sorted(episode_id_for(n) for n in bad)
    assert partition_requests(tick, dg.AddDynamicPartitionsRequest) == [
        *bad_ids,
        "zz-copy-a",
        "zz-copy-b",
    ]
    singles = sorted(r.partition_key for r in tick.run_requests if r.partition_key)
    ranges = [r.tags for r in tick.run_requests if not r.partition_key]
    assert singles == bad_ids
    assert [(t[RANGE_START_TAG], t[RANGE_END_TAG]) for t in ranges] == [("zz-copy-a", "zz-copy-b")]
    results = world.apply(tick)
    assert sorted(r.success for r in results) == [False, False, False, True]
    assert {name for (name,) in world.query("SELECT source_file FROM ingest_errors")} == set(bad)
    assert world.tick().skip_message.startswith(
        "nothing to refresh: 6 files unchanged; 3 known rejected until their bytes change "
        "(bad-empty.txt, bad-times.srt, bad-yaml.txt; see ingest_errors)"
    )


def test_sensor_marks_every_partition_stale_when_a_code_version_is_bumped(world, monkeypatch):
    monkeypatch.setattr(steps.extract, "CODE_VERSION", f"{steps.extract.CODE_VERSION}-bumped")
    [run] = world.tick().run_requests
    assert run.job_name == "extract_job"
    assert (run.tags[RANGE_START_TAG], run.tags[RANGE_END_TAG]) == (SEED_IDS[0], SEED_IDS[-1])

    monkeypatch.setattr(steps.ingest, "CODE_VERSION", f"{steps.ingest.CODE_VERSION}-bumped")
    tick = world.tick()
    [run] = tick.run_requests
    assert run.job_name == "refresh_job"
    assert (run.tags[RANGE_START_TAG], run.tags[RANGE_END_TAG]) == (SEED_IDS[0], SEED_IDS[-1])

    [result] = world.apply(tick)
    assert result.success
    versions = set(world.query("SELECT step, code_version FROM partition_state"))
    assert versions == {
        ("ingest", steps.ingest.CODE_VERSION),
        ("extract", steps.extract.CODE_VERSION),
    }
    assert world.tick().skip_message == "nothing to refresh: 4 files unchanged"


def test_sensor_run_keys_repeat_for_the_same_work_and_change_when_a_file_is_reverted(world):
    path = world.raw / SEED_ENRICHED_886
    original = path.read_bytes()
    path.write_bytes(original + b"\nedited\n")
    [edit] = world.tick().run_requests
    assert [r.run_key for r in world.tick().run_requests] == [edit.run_key]
    assert all(r.success for r in world.apply(world.tick()))
    path.write_bytes(original)
    [revert] = world.tick().run_requests
    assert revert.partition_key == edit.partition_key
    assert revert.run_key != edit.run_key


def test_sensor_leaves_partitions_of_unfinished_runs_alone(world):
    from podcast_assets.definitions import defs

    changed = world.raw / SEED_ENRICHED_881
    changed.write_bytes(changed.read_bytes() + b"\nOne more line.\n")
    episode_id = Path(SEED_ENRICHED_881).stem
    running = world.instance.create_run_for_job(
        job_def=defs.resolve_job_def("refresh_job"),
        tags={"dagster/partition": episode_id},
        status=dg.DagsterRunStatus.STARTED,
    )
    tick = world.tick()
    assert not tick.run_requests
    assert tick.skip_message == (
        "nothing to refresh: 3 files unchanged; "
        f"1 waiting for unfinished run(s) {running.run_id[:8]}"
    )


def test_sensor_fails_a_run_whose_process_died_and_takes_its_partition_back(world):
    from dagster._core.events import EngineEventData

    from podcast_assets.definitions import defs

    changed = world.raw / SEED_ENRICHED_881
    changed.write_bytes(changed.read_bytes() + b"\nOne more line.\n")
    episode_id = Path(SEED_ENRICHED_881).stem
    killed = world.instance.create_run_for_job(
        job_def=defs.resolve_job_def("refresh_job"),
        tags={"dagster/partition": episode_id},
        status=dg.DagsterRunStatus.STARTED,
    )
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    world.instance.report_engine_event(
        "Executing steps in process", killed, EngineEventData.in_process(gone.pid)
    )

    tick = world.tick()

    assert [r.partition_key for r in tick.run_requests] == [episode_id]
    failed = world.instance.get_run_by_id(killed.run_id)
    assert failed is not None and failed.status == dg.DagsterRunStatus.FAILURE


def test_sensor_skips_the_tick_while_another_process_holds_the_warehouse(world):
    world.lock_timeout_s = 0.3
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time\n"
            "con = duckdb.connect(sys.argv[1])\n"
            "print('locked', flush=True)\n"
            "time.sleep(60)\n",
            str(world.db),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        tick = world.tick()
    finally:
        holder.terminate()
        try:
            holder.wait(timeout=10)
        except subprocess.TimeoutExpired:  # seen once on a loaded machine: never leave it
            holder.kill()
            holder.wait(timeout=10)
    assert not tick.run_requests
    assert not tick.dynamic_partitions_requests
    assert tick.skip_message.startswith("warehouse locked by another process; next tick retries")


def test_sensor_never_reads_a_missing_raw_dir_as_every_file_deleted(world):
    shutil.rmtree(world.raw)
    tick = world.tick()
    assert "does not exist" in tick.skip_message
    assert not tick.run_requests
    assert not tick.dynamic_partitions_requests
