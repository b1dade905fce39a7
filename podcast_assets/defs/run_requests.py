"""The Dagster side of planning: read the world, plan with `planning`, speak in requests.

The sensor, the schedule and the CLI's runner all plan through `planning`; this module is
what the first two share: it reads the raw directory, the warehouse and the instance, and
turns a `TickPlan` into run requests and partition requests. It also owns the mapping from
a `Batch` to a job and to the tags of Dagster's single-run backfill contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import dagster as dg

from podcast_assets import settings, steps
from podcast_assets.defs.jobs import extract_job, refresh_job
from podcast_assets.defs.maintenance import prune_job, prune_run_config, pruned_ids
from podcast_assets.defs.partitions import EPISODE_PARTITIONS_NAME
from podcast_assets.defs.recovery import recover_dead_runs
from podcast_assets.planning import (
    Batch,
    BatchKind,
    TickPlan,
    plan_refresh,
    plan_tick,
    split_batches,
)
from podcast_assets.rawfiles import episode_id_for, scan_raw_dir
from podcast_assets.settings import WarehouseTarget
from podcast_assets.warehouse import (
    WarehouseMissingError,
    is_lake,
    open_reader,
    partition_states,
    rejections,
)

TRIGGER_TAG = "podcast-assets/trigger"
PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
# A run in one of these states may still write its partitions, so they are left alone.
_UNFINISHED = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
    dg.DagsterRunStatus.SUSPENDED,
]
_PARTITIONED_JOBS = (refresh_job.name, extract_job.name)
# What `extract_job` materializes, as a selection of `refresh_job` (for the schedule).
EXTRACT_ASSETS = [dg.AssetKey(t.name) for t in steps.extract.TABLES]


def job_name(batch: Batch) -> str:
    return extract_job.name if batch.kind == BatchKind.EXTRACT_ONLY else refresh_job.name


def batch_tags(batch: Batch) -> dict[str, str]:
    """Range tags for a multi-partition run (Dagster's single-run backfill contract)."""
    if len(batch.keys) == 1:
        return {}
    return {RANGE_START_TAG: batch.start, RANGE_END_TAG: batch.end}


def plan_from_world(
    raw_dir: Path,
    warehouse_path: WarehouseTarget,
    instance: dg.DagsterInstance,
    *,
    lock_timeout_s: float,
    unregister_removed: bool,
) -> tuple[TickPlan, list[str]]:
    """A tick's plan, and the dead runs recovered before planning (as lines to log).

    Raises WarehouseLockedError when a writer holds the file too long.
    """
    # A run whose process died would hold its partitions (and the writer slot) forever.
    recovery = recover_dead_runs(instance)
    files, refusals = scan_raw_dir(raw_dir)
    try:
        with open_reader(warehouse_path, lock_timeout_s) as con:
            states = partition_states(con)
            rejected = rejections(con)
    except WarehouseMissingError:
        states, rejected = {}, {}
    versions = (steps.ingest.CODE_VERSION, steps.extract.CODE_VERSION)
    plan = plan_refresh(
        files, states, rejected, ingest_version=versions[0], extract_version=versions[1]
    )
    registered = instance.get_dynamic_partitions(EPISODE_PARTITIONS_NAME)
    busy = busy_partitions(instance, registered)
    names = {f.name for f in files} | {r.name for r in refusals}
    to_ingest = plan.without(busy).to_ingest
    tick = plan_tick(
        plan,
        states,
        versions=versions,
        registered=registered,
        busy=busy,
        vanished_rejections={episode_id_for(name) for name in rejected if name not in names},
        refusals=[r.reason for r in refusals],
        expected_rejections=steps.ingest.expected_rejections(plan.files[k] for k in to_ingest),
        unregister_removed=unregister_removed,
    )
    if is_lake(warehouse_path):  # a lake takes a writer per run: one run per core's share
        tick = replace(tick, batches=tuple(split_batches(tick.batches, settings.concurrent_runs())))
    recovered = [f"{run.describe()} marked failed: {why}" for run, why in recovery.dead]
    return tick, recovered


def busy_partitions(instance: dg.DagsterInstance, order: Sequence[str]) -> dict[str, str]:
    """Partition -> run id, for every unfinished run of our jobs (queued, starting, running).

    Covers runs from the sensor, the schedule, the UI and the CLI alike, so no tick requests
    work for a partition that a run may still write.
    """
    position = {key: i for i, key in enumerate(order)}
    busy: dict[str, str] = {}
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=_UNFINISHED)):
        keys: list[str] = []
        if run.job_name == prune_job.name:
            keys = pruned_ids(run.run_config)
        elif run.job_name in _PARTITIONED_JOBS:
            if PARTITION_TAG in run.tags:
                keys = [run.tags[PARTITION_TAG]]
            start, end = run.tags.get(RANGE_START_TAG), run.tags.get(RANGE_END_TAG)
            if start in position and end in position:
                keys = list(order[position[start] : position[end] + 1])
        busy.update(dict.fromkeys(keys, run.run_id))
    return busy


def run_requests(
    tick: TickPlan, trigger: str, *, extract_as_selection: bool = False
) -> list[dg.RunRequest]:
    """One request per batch, plus one `prune_job` request for removed files.

    `extract_as_selection` expresses extract-only batches as an asset selection of
    `refresh_job`, for a schedule (which can launch only its own job).
    """
    requests = []
    for batch in tick.batches:
        name = job_name(batch)
        as_selection = extract_as_selection and name == extract_job.name
        requests.append(
            dg.RunRequest(
                run_key=tick.run_key(name, batch.keys),
                job_name=None if extract_as_selection else name,
                partition_key=batch.partition_key,
                asset_selection=EXTRACT_ASSETS if as_selection else None,
                tags={TRIGGER_TAG: trigger, **batch_tags(batch)},
            )
        )
    if tick.prune and not extract_as_selection:
        requests.append(
            dg.RunRequest(
                run_key=tick.run_key(prune_job.name, tick.prune, is_list=True),
                job_name=prune_job.name,
                run_config=prune_run_config(list(tick.prune)),
                tags={TRIGGER_TAG: trigger},
            )
        )
    return requests


def partition_requests(
    tick: TickPlan,
) -> list[dg.AddDynamicPartitionsRequest | dg.DeleteDynamicPartitionsRequest]:
    """Register new files' partitions; unregister those of removed files."""
    requests: list[dg.AddDynamicPartitionsRequest | dg.DeleteDynamicPartitionsRequest] = []
    if tick.register:
        requests.append(
            dg.AddDynamicPartitionsRequest(EPISODE_PARTITIONS_NAME, list(tick.register))
        )
    if tick.unregister:
        requests.append(
            dg.DeleteDynamicPartitionsRequest(EPISODE_PARTITIONS_NAME, list(tick.unregister))
        )
    return requests
