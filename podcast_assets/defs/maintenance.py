"""Maintenance: remove the rows of partitions whose raw file left the raw directory, and keep
the warehouse compact (`warehouse_upkeep_job`; a lake's files and snapshots).

`raw_files_sensor` deletes such a partition from the instance and launches `prune_job` for it,
so the deletion of its rows is a run in the UI and a row in `removals`: nothing vanishes
silently. It does what `podcast-assets refresh` does for removed files, through the same
warehouse functions
(`steps.extract.remove_episodes`: the rows, then `entity_aliases` rebuilt without them).
"""

from datetime import timedelta

import dagster as dg
from pydantic import Field

from podcast_assets.defs.resources import RawFilesResource, WarehouseResource
from podcast_assets.rawfiles import list_raw_files
from podcast_assets.steps.extract import remove_episodes
from podcast_assets.warehouse import (
    clear_rejections,
    is_lake,
    lake_location,
    partition_states,
)
from podcast_assets.warehouse.upkeep import compact

PRUNE_OP_NAME = "prune_partitions"


class PruneConfig(dg.Config):
    """Which partitions to remove (the sensor fills this in)."""

    episode_ids: list[str] = Field(description="Partition keys whose raw file disappeared.")


@dg.op(name=PRUNE_OP_NAME, pool="warehouse_writer", out=dg.Out(dg.Nothing))
def prune_partitions(
    context: dg.OpExecutionContext,
    config: PruneConfig,
    warehouse: WarehouseResource,
    raw_files: RawFilesResource,
) -> dg.Output[None]:
    """Delete every row of the partitions, log them in `removals`, forget vanished rejections.

    Re-checks the raw directory when the run starts (a run can wait in the queue): a file
    that came back keeps its rows.
    """
    paths, collisions = list_raw_files(raw_files.directory)
    back = sorted(k for k in config.episode_ids if k in paths)
    gone = [k for k in config.episode_ids if k not in paths]
    with warehouse.writer() as con:
        states = partition_states(con)
        removed = remove_episodes(con, [k for k in gone if k in states])
        cleared = clear_rejections(
            con, [p.name for p in paths.values()] + [c.name for c in collisions]
        )
    for episode_id, counts in removed.items():
        context.log.info(f"removed {episode_id}: {sum(counts.values())} rows deleted ({counts})")
    if back:
        context.log.info(f"file is back, rows kept: {', '.join(back)}")
    # The report is the output's metadata (shown on the run); the rows live in `removals`.
    return dg.Output(
        None,
        metadata={
            "partitions_removed": dg.MetadataValue.int(len(removed)),
            "rows_deleted": dg.MetadataValue.json(removed),
            "rows_deleted_total": dg.MetadataValue.int(
                sum(sum(counts.values()) for counts in removed.values())
            ),
            "rejections_cleared": dg.MetadataValue.int(cleared),
            "files_back": dg.MetadataValue.json(back),
        },
    )


@dg.job(
    name="prune_job",
    description="Remove the warehouse rows of partitions whose raw file is gone (logged in "
    "`removals`). Launched by raw_files_sensor.",
)
def prune_job() -> None:
    prune_partitions()


def prune_run_config(episode_ids: list[str]) -> dict[str, object]:
    """Run config for `prune_job` over these partitions."""
    return {"ops": {PRUNE_OP_NAME: {"config": {"episode_ids": list(episode_ids)}}}}


def pruned_ids(run_config: object) -> list[str]:
    """The partitions a `prune_job` run was launched for (inverse of `prune_run_config`)."""
    try:
        return list(run_config["ops"][PRUNE_OP_NAME]["config"]["episode_ids"])  # type: ignore[index]
    except (KeyError, TypeError):
        return []


UPKEEP_OP_NAME = "compact_warehouse"


class UpkeepConfig(dg.Config):
    """How much history a lake keeps for readers and time travel."""

    retain_minutes: int = Field(
        default=60,
        ge=0,
        description="Snapshots younger than this are kept (a query that began on one keeps its "
        "files); older ones are expired and their files deleted.",
    )


@dg.op(name=UPKEEP_OP_NAME, pool="warehouse_writer", out=dg.Out(dg.Nothing))
def compact_warehouse(
    context: dg.OpExecutionContext, config: UpkeepConfig, warehouse: WarehouseResource
) -> dg.Output[None]:
    """Lake: merge small files, expire snapshots, delete unneeded files. File: CHECKPOINT."""
    data_path = lake_location(warehouse.file).data_path if is_lake(warehouse.file) else ""
    with warehouse.writer() as con:
        done = compact(con, timedelta(minutes=config.retain_minutes), data_path)
    context.log.info(
        f"{done.backend}: {done.files_before} -> {done.files_after} files, "
        f"{done.snapshots_before} -> {done.snapshots_after} snapshots in {done.seconds:.1f} s"
    )
    return dg.Output(
        None,
        metadata={
            "backend": done.backend,
            "files_before": dg.MetadataValue.int(done.files_before),
            "files_after": dg.MetadataValue.int(done.files_after),
            "snapshots_before": dg.MetadataValue.int(done.snapshots_before),
            "snapshots_after": dg.MetadataValue.int(done.snapshots_after),
            "seconds": dg.MetadataValue.float(round(done.seconds, 3)),
        },
    )


@dg.job(
    name="warehouse_upkeep_job",
    description="Keep the warehouse small: on a DuckLake, merge small Parquet files, expire old "
    "snapshots and delete the files no snapshot needs (files before/after in the run's "
    "metadata); on a DuckDB file, fold the write-ahead log in. Nightly by "
    "nightly_upkeep_schedule.",
)
def warehouse_upkeep_job() -> None:
    compact_warehouse()
