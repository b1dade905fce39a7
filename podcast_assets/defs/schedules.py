"""`nightly_refresh_schedule`: a nightly catch-up for whatever the sensor did not do, and
`nightly_search_index_schedule`, which rebuilds the search index after it.

The refresh schedule plans exactly like `raw_files_sensor` (`run_requests.plan_from_world`)
and requests runs for files that are missing or stale, including runs that failed since (a
sensor never repeats a run key; each schedule tick may). Removed files are left to the sensor:
a schedule can only launch its own job, and pruning is `prune_job`."""

import dagster as dg

from podcast_assets import search, settings
from podcast_assets.defs.jobs import refresh_job, search_index_job
from podcast_assets.defs.maintenance import warehouse_upkeep_job
from podcast_assets.defs.partitions import EPISODE_PARTITIONS_NAME
from podcast_assets.defs.resources import RawFilesResource, WarehouseResource
from podcast_assets.defs.run_requests import plan_from_world, run_requests
from podcast_assets.defs.sensors import MAX_TICK_LOCK_WAIT_S
from podcast_assets.warehouse import WarehouseLockedError, display, exists

DEFAULT_CRON = "0 2 * * *"


def build_nightly_refresh_schedule(
    cron_schedule: str = DEFAULT_CRON, timezone: str | None = None
) -> dg.ScheduleDefinition:
    """The schedule, at `cron_schedule` in `timezone` (default $PODCAST_SCHEDULE_TZ, UTC).

    Dagster fixes a schedule's zone when the code location loads, so the setting is read
    then: a new value takes effect on the next reload, and a bad name fails the load.
    """
    zone = settings.schedule_timezone(timezone)

    @dg.schedule(
        name="nightly_refresh_schedule",
        cron_schedule=cron_schedule,
        execution_timezone=zone,
        job=refresh_job,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Every night ({cron_schedule}, {zone}): materialize raw files that are "
        "new, changed, stale or whose last run failed. Zone: $PODCAST_SCHEDULE_TZ.",
    )
    def nightly_refresh_schedule(
        context: dg.ScheduleEvaluationContext,
        raw_files: RawFilesResource,
        warehouse: WarehouseResource,
    ) -> list[dg.RunRequest] | dg.SkipReason:
        """Plan like the sensor; request what is missing or stale."""
        raw_dir = raw_files.directory
        if not raw_dir.is_dir():
            return dg.SkipReason(f"raw directory {raw_dir} does not exist; nothing to refresh")
        try:
            tick, recovered = plan_from_world(
                raw_dir,
                warehouse.file,
                context.instance,
                lock_timeout_s=min(warehouse.timeout, MAX_TICK_LOCK_WAIT_S),
                unregister_removed=False,
            )
        except WarehouseLockedError as exc:
            return dg.SkipReason(f"warehouse locked by another process; skipped tonight: {exc}")
        context.log.info(tick.summary())
        for line in recovered:
            context.log.warning(f"recovered: {line}")
        runs = run_requests(tick, "schedule", extract_as_selection=True)
        if not runs:
            return dg.SkipReason(tick.skip_message(prunes=False))
        if tick.register:
            # Only sensors can return partition requests; adding is idempotent and must
            # happen before the runs are created.
            context.instance.add_dynamic_partitions(EPISODE_PARTITIONS_NAME, list(tick.register))
        return runs

    return nightly_refresh_schedule


nightly_refresh_schedule = build_nightly_refresh_schedule()


SEARCH_INDEX_CRON = "0 3 * * *"


def build_nightly_search_index_schedule(
    cron_schedule: str = SEARCH_INDEX_CRON, timezone: str | None = None
) -> dg.ScheduleDefinition:
    """Rebuild the search index an hour after the nightly refresh, when it is stale."""
    zone = settings.schedule_timezone(timezone)

    @dg.schedule(
        name="nightly_search_index_schedule",
        cron_schedule=cron_schedule,
        execution_timezone=zone,
        job=search_index_job,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Every night ({cron_schedule}, {zone}): rebuild the full-text search index "
        "if transcripts were added, changed or removed since it was built.",
    )
    def nightly_search_index_schedule(
        context: dg.ScheduleEvaluationContext, warehouse: WarehouseResource
    ) -> dg.RunRequest | dg.SkipReason:
        if not exists(warehouse.file):
            return dg.SkipReason(f"no warehouse at {display(warehouse.file)} yet; nothing to index")
        try:
            with warehouse.reader() as con:
                stale = search.stale_episodes(con)
        except WarehouseLockedError as exc:
            return dg.SkipReason(f"warehouse locked by another process; skipped tonight: {exc}")
        except search.SearchUnavailableError as exc:
            return dg.SkipReason(str(exc))
        if stale == 0:
            return dg.SkipReason("the search index is current: no transcript changed since")
        why = "never built" if stale is None else f"{stale} transcript(s) changed"
        context.log.info(f"rebuilding the search index: {why}")
        return dg.RunRequest()

    return nightly_search_index_schedule


nightly_search_index_schedule = build_nightly_search_index_schedule()


def build_nightly_upkeep_schedule(
    cron_schedule: str = "0 4 * * *", timezone: str | None = None
) -> dg.ScheduleDefinition:
    """`warehouse_upkeep_job` every night, after the refresh (2:00) and the index (3:00)."""
    zone = settings.schedule_timezone(timezone)
    return dg.ScheduleDefinition(
        name="nightly_upkeep_schedule",
        cron_schedule=cron_schedule,
        execution_timezone=zone,
        job=warehouse_upkeep_job,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Every night ({cron_schedule}, {zone}): compact the warehouse (a lake's "
        "small files merged, snapshots older than an hour expired, unneeded files deleted).",
    )


nightly_upkeep_schedule = build_nightly_upkeep_schedule()
