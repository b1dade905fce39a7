"""`raw_files_sensor`: dropping, editing or deleting a raw file refreshes the warehouse.

Each tick plans exactly as `podcast-assets refresh` does (`run_requests.plan_from_world`), so
"new", "changed", "stale" and "unchanged" mean the same everywhere. The plan becomes
requests: register new partitions and run them (one run per contiguous range, one per file
expected to be rejected), re-run changed or code-stale partitions, and for a removed file
unregister its partition and launch `prune_job`, which deletes its rows and records them in
`removals`.
"""

import dagster as dg

from podcast_assets.defs.jobs import extract_job, refresh_job
from podcast_assets.defs.maintenance import prune_job
from podcast_assets.defs.resources import RawFilesResource, WarehouseResource
from podcast_assets.defs.run_requests import partition_requests, plan_from_world, run_requests
from podcast_assets.warehouse import WarehouseLockedError

SENSOR_INTERVAL_S = 30
# A tick must stay well inside the daemon's evaluation timeout; writers hold the file for
# milliseconds, so only a long-lived session (a DuckDB CLI) makes a tick wait this long.
MAX_TICK_LOCK_WAIT_S = 5.0


@dg.sensor(
    name="raw_files_sensor",
    jobs=[refresh_job, extract_job, prune_job],
    minimum_interval_seconds=SENSOR_INTERVAL_S,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Watches the raw directory: new, changed or code-stale files are materialized, "
    "removed files' partitions are deleted and their rows pruned (logged in `removals`).",
)
def raw_files_sensor(
    context: dg.SensorEvaluationContext,
    raw_files: RawFilesResource,
    warehouse: WarehouseResource,
) -> dg.SensorResult:
    """Turn the difference between the raw directory and the warehouse into requests."""
    raw_dir = raw_files.directory
    if not raw_dir.is_dir():
        # Never read a missing folder as "every file was deleted".
        return dg.SensorResult(
            skip_reason=f"raw directory {raw_dir} does not exist; nothing planned or removed"
        )
    try:
        tick, recovered = plan_from_world(
            raw_dir,
            warehouse.file,
            context.instance,
            lock_timeout_s=min(warehouse.timeout, MAX_TICK_LOCK_WAIT_S),
            unregister_removed=True,
        )
    except WarehouseLockedError as exc:
        return dg.SensorResult(
            skip_reason=f"warehouse locked by another process; next tick retries: {exc}"
        )
    context.log.info(tick.summary())
    for line in recovered:
        context.log.warning(f"recovered: {line}")
    for reason in tick.refusals:
        context.log.warning(f"not ingested: {reason}")
    partitions = partition_requests(tick)
    runs = run_requests(tick, "sensor")
    if not runs:
        return dg.SensorResult(
            skip_reason=tick.skip_message(), dynamic_partitions_requests=partitions
        )
    return dg.SensorResult(run_requests=runs, dynamic_partitions_requests=partitions)
