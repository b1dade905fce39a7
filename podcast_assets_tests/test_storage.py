"""The batching event log storage records exactly what Dagster's SQLite storage records."""

from collections import Counter
from pathlib import Path

import dagster as dg
import pytest
import yaml

from podcast_assets.defs import storage
from podcast_assets.defs.storage import BatchingSqliteEventLogStorage

REPO = Path(__file__).resolve().parents[1]
PARTITIONS = dg.StaticPartitionsDefinition([f"p{i:02d}" for i in range(12)])

# Dagster instances on SQLite, thousands of events: wiring, seconds per test.
pytestmark = pytest.mark.slow


@dg.multi_asset(
    specs=[dg.AssetSpec("left"), dg.AssetSpec("right")],
    partitions_def=PARTITIONS,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def pair(context: dg.AssetExecutionContext):
    n = len(context.partition_keys)
    yield dg.MaterializeResult(asset_key="left", metadata={"partitions": n})
    yield dg.MaterializeResult(asset_key="right", metadata={"partitions": n, "side": "right"})


@dg.asset_check(asset="left")
def left_ok() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


JOB = dg.Definitions(assets=[pair], asset_checks=[left_ok]).resolve_implicit_global_asset_job_def()


def project_storage_config(base: Path) -> dict:
    """The storage sections of the repository's dagster.yaml, rooted in `base`."""
    config = yaml.safe_load((REPO / "dagster.yaml").read_text())
    sections = {}
    for key in ("run_storage", "event_log_storage", "schedule_storage"):
        section = config[key]
        relative = Path(section["config"]["base_dir"])
        sections[key] = {**section, "config": {"base_dir": str(base / relative)}}
    return sections


def record(instance: dg.DagsterInstance) -> dict:
    """Everything a reader of the event log sees of one run over partitions p02..p09."""
    result = JOB.execute_in_process(
        instance=instance,
        tags={
            "dagster/asset_partition_range_start": "p02",
            "dagster/asset_partition_range_end": "p09",
        },
    )
    assert result.success
    seen: dict = {
        "run_events": Counter(e.dagster_event_type for e in instance.all_logs(result.run_id))
    }
    for name in ("left", "right"):
        key = dg.AssetKey(name)
        planned = instance.get_event_records(
            dg.EventRecordsFilter(dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED, asset_key=key)
        )
        materializations = instance.fetch_materializations(key, limit=100).records
        (asset_record,) = instance.get_asset_records([key])
        latest = asset_record.asset_entry.last_materialization
        seen[name] = {
            "materialized": sorted(instance.get_materialized_partitions(key)),
            "planned": sorted(r.partition_key for r in planned),
            "metadata": sorted(
                (r.partition_key, repr(r.asset_materialization.metadata)) for r in materializations
            ),
            "latest_partition": latest.dagster_event.partition,
        }
    check = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [dg.AssetCheckKey(dg.AssetKey("left"), "left_ok")]
    )
    seen["check_status"] = {k.name: v.status for k, v in check.items()}
    return seen


def test_batched_storage_records_the_same_events_as_sqlite_storage(tmp_path, monkeypatch):
    monkeypatch.setenv(storage.BATCH_SIZE_ENV, "5")  # several batches per asset
    batch_sizes: list[int] = []
    original = BatchingSqliteEventLogStorage._store_asset_events

    def spy(self, events):
        batch_sizes.append(len(events))
        return original(self, events)

    monkeypatch.setattr(BatchingSqliteEventLogStorage, "_store_asset_events", spy)

    for name in ("plain", "home"):
        (tmp_path / name).mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "plain")) as plain:
        expected = record(plain)
    overrides = project_storage_config(tmp_path / "batched")
    with dg.instance_for_test(temp_dir=str(tmp_path / "home"), overrides=overrides) as batched:
        assert isinstance(batched.event_log_storage, BatchingSqliteEventLogStorage)
        actual = record(batched)

    assert actual == expected
    assert expected["left"]["materialized"] == [f"p{i:02d}" for i in range(2, 10)]
    # 8 planned + 8 materialized per asset, 5 to a batch: batches of 5 and 3.
    # 8 planned and 8 done materializations per asset, all through batches of at most 5.
    assert sum(batch_sizes) == 32 and max(batch_sizes) == 5


@pytest.mark.parametrize("preset", [None, "7"])
def test_the_storage_turns_batching_on_unless_told_otherwise(tmp_path, monkeypatch, preset):
    if preset is None:
        monkeypatch.delenv(storage.BATCH_SIZE_ENV, raising=False)
    else:
        monkeypatch.setenv(storage.BATCH_SIZE_ENV, preset)
    BatchingSqliteEventLogStorage(str(tmp_path))
    expected = preset or str(storage.DEFAULT_BATCH_SIZE)
    assert storage.os.environ[storage.BATCH_SIZE_ENV] == expected


def test_the_repository_instance_config_loads_with_the_sqlite_layout(tmp_path, monkeypatch):
    """dagster.yaml as `make ui` reads it: the files land where `storage: sqlite` puts them,
    so an instance created before this storage keeps its history."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(storage.BATCH_SIZE_ENV, "1000")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance.event_log_storage, BatchingSqliteEventLogStorage)
        assert record(instance)["left"]["materialized"] == [f"p{i:02d}" for i in range(2, 10)]
    base = tmp_path / ".dagster" / "storage"
    assert (base / "history" / "runs.db").is_file()
    assert (base / "history" / "runs" / "index.db").is_file()
    assert (base / "schedules" / "schedules.db").is_file()
