"""Maintenance: remove the rows of partitions whose raw file left the raw directory.

`raw_files_sensor` deletes such a partition from the instance and launches `prune_job` for it,
so the deletion of its rows is a run in the UI and a row in `removals`: nothing vanishes
silently. It does what `podcast-assets refresh` does for removed files, through the same
warehouse functions.
"""

import dagster as dg
from pydantic import Field

from podcast_assets.defs.resources import RawFilesResource, WarehouseResource
from podcast_assets.rawfiles import list_raw_files
from podcast_assets.warehouse import clear_rejections, partition_states, remove_partitions

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
        removed = remove_partitions(con, [k for k in gone if k in states])
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
