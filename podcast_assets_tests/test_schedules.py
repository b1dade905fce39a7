"""nightly_refresh_schedule against a real raw dir, DuckDB warehouse and Dagster instance.

The warehouse is filled the fast way (real ingestion, empty extraction rows recorded at the
current extractor version), since these tests check what a tick requests, not NLP output.
Ticks are evaluated as the daemon does (`evaluate_tick`, which resolves partitions).
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

from podcast_assets import steps, warehouse
from podcast_assets.defs.partitions import EPISODE_PARTITIONS_NAME
from podcast_assets.defs.resources import RawFilesResource, WarehouseResource
from podcast_assets.defs.run_requests import RANGE_END_TAG, RANGE_START_TAG, TRIGGER_TAG
from podcast_assets.defs.schedules import (
    DEFAULT_CRON,
    build_nightly_refresh_schedule,
    nightly_refresh_schedule,
)
from podcast_assets.defs.sensors import raw_files_sensor
from podcast_assets.rawfiles import episode_id_for
from podcast_assets.settings import SCHEDULE_TZ

from .conftest import SEED_IDS, SEED_PLAIN_881, copy_seeds

NIGHT = datetime(2026, 1, 2, 2, 0, tzinfo=UTC)

# Dagster wiring on a real instance with the sample files ingested: seconds, not milliseconds.
pytestmark = pytest.mark.slow


@dataclass
class World:
    raw: Path
    db: Path
    instance: dg.DagsterInstance

    def resources(self) -> dict[str, object]:
        return {
            "raw_files": RawFilesResource(path=str(self.raw)),
            "warehouse": WarehouseResource(path=str(self.db)),
        }

    def tick(self):
        """One schedule evaluation, as the daemon runs it."""
        from podcast_assets.definitions import defs

        context = dg.build_schedule_context(
            instance=self.instance,
            instance_ref=self.instance.get_ref(),
            repository_def=defs.get_repository_def(),
            scheduled_execution_time=NIGHT,
            resources=self.resources(),
        )
        return nightly_refresh_schedule.evaluate_tick(context)

    def sensor_tick(self):
        from podcast_assets.definitions import defs

        context = dg.build_sensor_context(
            instance=self.instance,
            instance_ref=self.instance.get_ref(),
            definitions=defs,
            resources=self.resources(),
        )
        return raw_files_sensor.evaluate_tick(context)

    def registered(self) -> list[str]:
        return self.instance.get_dynamic_partitions(EPISODE_PARTITIONS_NAME)


def fill_warehouse(raw: Path, db: Path) -> None:
    """What a successful refresh leaves: every file ingested and extracted at today's versions."""
    paths = sorted(raw.iterdir())
    report = steps.ingest.ingest_files(db, [(episode_id_for(p.name), p) for p in paths])
    assert not report.rejected
    with warehouse.open_writer(db) as con:
        warehouse.replace_partitions(
            con,
            steps.extract.STEP,
            steps.extract.CODE_VERSION,
            steps.extract.TABLES,
            [
                warehouse.PartitionWrite(
                    episode_id_for(p.name), hashlib.sha256(p.read_bytes()).hexdigest()
                )
                for p in paths
            ],
        )


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("schedule-template")
    copy_seeds(root / "raw")
    fill_warehouse(root / "raw", root / "warehouse.duckdb")
    db = root / "warehouse.duckdb"
    return db


@pytest.fixture
def world(template, tmp_path):
    """The sample files, refreshed, with their partitions registered."""
    raw = tmp_path / "raw"
    copy_seeds(raw)
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(template, db)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(EPISODE_PARTITIONS_NAME, SEED_IDS)
        yield World(raw, db, instance)


@pytest.fixture
def empty_world(tmp_path):
    """The sample files, no warehouse yet, no partitions."""
    raw = tmp_path / "raw"
    copy_seeds(raw)
    with dg.instance_for_test() as instance:
        yield World(raw, tmp_path / "warehouse.duckdb", instance)


def test_schedule_with_nothing_changed_skips_and_says_so(world):
    tick = world.tick()
    assert not tick.run_requests
    assert tick.skip_message == "nothing to refresh: 4 files unchanged"


def test_schedule_registers_missing_files_and_requests_one_range_run(empty_world):
    tick = empty_world.tick()
    assert empty_world.registered() == SEED_IDS
    [run] = tick.run_requests
    assert run.partition_key is None
    assert (run.tags[RANGE_START_TAG], run.tags[RANGE_END_TAG]) == (SEED_IDS[0], SEED_IDS[-1])
    assert run.tags[TRIGGER_TAG] == "schedule"
    assert run.run_key.startswith("refresh_job:")


def test_schedule_requests_only_the_stale_step_after_a_version_bump(world, monkeypatch):
    monkeypatch.setattr(steps.extract, "CODE_VERSION", f"{steps.extract.CODE_VERSION}-bumped")
    [run] = world.tick().run_requests
    # A schedule launches only refresh_job: extract-only work is its extraction assets.
    assert run.asset_selection == [dg.AssetKey(t.name) for t in steps.extract.TABLES]
    assert (run.tags[RANGE_START_TAG], run.tags[RANGE_END_TAG]) == (SEED_IDS[0], SEED_IDS[-1])

    monkeypatch.setattr(steps.ingest, "CODE_VERSION", f"{steps.ingest.CODE_VERSION}-bumped")
    [run] = world.tick().run_requests
    assert run.asset_selection is None


def test_schedule_requests_a_changed_file_and_each_bad_file_alone(world):
    changed = world.raw / SEED_PLAIN_881
    changed.write_bytes(changed.read_bytes() + b"\nOne more line.\n")
    (world.raw / "bad-empty.txt").write_bytes(b"")
    (world.raw / "bad-nul.txt").write_bytes(b"This is episode 5.\x00")
    tick = world.tick()
    assert world.registered() == [*SEED_IDS, "bad-empty", "bad-nul"]
    requested = sorted(r.tags["dagster/partition"] for r in tick.run_requests)
    assert requested == sorted(["bad-empty", "bad-nul", Path(SEED_PLAIN_881).stem])


def test_schedule_and_sensor_derive_the_same_run_key_for_the_same_work(world):
    changed = world.raw / SEED_PLAIN_881
    changed.write_bytes(changed.read_bytes() + b"\nOne more line.\n")
    [by_schedule] = world.tick().run_requests
    [by_sensor] = world.sensor_tick().run_requests
    assert by_schedule.run_key == by_sensor.run_key


def test_schedule_leaves_removed_files_to_the_sensor(world):
    (world.raw / f"{SEED_IDS[0]}.txt").unlink()
    tick = world.tick()
    assert not tick.run_requests
    assert tick.skip_message == (
        "nothing to refresh: 3 files unchanged; "
        "1 removed file(s) left to raw_files_sensor or `podcast-assets refresh`"
    )
    assert world.registered() == SEED_IDS


def test_schedule_skips_partitions_that_an_unfinished_run_holds(world):
    from podcast_assets.definitions import defs

    changed = world.raw / SEED_PLAIN_881
    changed.write_bytes(changed.read_bytes() + b"\nOne more line.\n")
    run = world.instance.create_run_for_job(
        job_def=defs.resolve_job_def("refresh_job"),
        tags={RANGE_START_TAG: SEED_IDS[0], RANGE_END_TAG: SEED_IDS[-1]},
        status=dg.DagsterRunStatus.STARTED,
    )
    tick = world.tick()
    assert not tick.run_requests
    assert tick.skip_message.endswith(f"4 waiting for unfinished run(s) {run.run_id[:8]}")


def test_schedule_defaults_to_2am_utc_and_takes_its_zone_from_the_environment(monkeypatch):
    assert nightly_refresh_schedule.cron_schedule == DEFAULT_CRON == "0 2 * * *"
    monkeypatch.delenv(SCHEDULE_TZ.name, raising=False)
    assert build_nightly_refresh_schedule().execution_timezone == "UTC"
    monkeypatch.setenv(SCHEDULE_TZ.name, "Europe/Berlin")
    assert build_nightly_refresh_schedule().execution_timezone == "Europe/Berlin"
    assert build_nightly_refresh_schedule(timezone="Asia/Tokyo").execution_timezone == "Asia/Tokyo"


def test_schedule_rejects_an_unknown_zone_naming_the_variable(monkeypatch):
    monkeypatch.setenv(SCHEDULE_TZ.name, "Mars/Olympus_Mons")
    with pytest.raises(ValueError, match=f"{SCHEDULE_TZ.name}='Mars/Olympus_Mons' is not an IANA"):
        build_nightly_refresh_schedule()
