"""`raw_files_sensor`: dropping, editing or deleting a raw file refreshes the warehouse.

Each tick plans with the CLI's own functions (`scan_raw_dir` -> `plan_refresh` ->
`plan_batches`), so "new", "changed", "stale" and "unchanged" mean here what they mean for
`podcast-assets refresh`. The plan becomes requests: register new partitions and run them
(one run per contiguous range, one per file expected to be rejected), re-run changed or
code-stale partitions, and for a removed file unregister its partition and launch `prune_job`,
which deletes its rows and records them in `removals`. The nightly schedule plans the same
way through `plan_work` below.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import dagster as dg

from podcast_assets import analysis, ingestion
from podcast_assets.defs.jobs import extract_job, refresh_job
from podcast_assets.defs.maintenance import prune_job, prune_run_config, pruned_ids
from podcast_assets.defs.partitions import EPISODE_PARTITIONS_NAME
from podcast_assets.defs.recovery import recover_dead_runs
from podcast_assets.defs.resources import RawFilesResource, WarehouseResource
from podcast_assets.planning import RefreshPlan, plan_refresh
from podcast_assets.rawfiles import episode_id_for, scan_raw_dir
from podcast_assets.refresh import RANGE_END_TAG, RANGE_START_TAG, Batch, plan_batches
from podcast_assets.warehouse import (
    PartitionState,
    WarehouseLockedError,
    WarehouseMissingError,
    open_reader,
    partition_states,
    rejections,
)

TRIGGER_TAG = "podcast-assets/trigger"
PARTITION_TAG = "dagster/partition"
SENSOR_INTERVAL_S = 30
# A tick must stay well inside the daemon's evaluation timeout; writers hold the file for
# milliseconds, so only a long-lived session (a DuckDB CLI) makes a tick wait this long.
MAX_TICK_LOCK_WAIT_S = 5.0
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
EXTRACT_ASSETS = [dg.AssetKey(t.name) for t in analysis.TABLES]


@dataclass(frozen=True)
class Work:
    """What one tick asks for, decided from the raw directory, the warehouse and the instance."""

    plan: RefreshPlan
    states: Mapping[str, Mapping[str, PartitionState]]
    register: tuple[str, ...]
    unregister: tuple[str, ...]
    batches: tuple[Batch, ...]
    prune: tuple[str, ...]
    # Partition -> id of the unfinished run that owns it.
    busy: Mapping[str, str]
    collisions: tuple[str, ...]
    # Runs found dead (their process gone) and marked failed before planning.
    recovered: tuple[str, ...] = ()

    def run_key(self, job_name: str, keys: Sequence[str]) -> str:
        """Same work from the same warehouse state -> same key; any change -> a new key.

        Includes the state the run starts from, so a file edited and then reverted is
        refreshed again rather than matched to the first run's key.
        """
        payload = {
            "job": job_name,
            "keys": list(keys),
            "files": [
                self.plan.files[k].content_sha256 if k in self.plan.files else None for k in keys
            ],
            "from": [_state(self.states.get(k, {})) for k in keys],
            "versions": [ingestion.CODE_VERSION, analysis.CODE_VERSION],
        }
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]
        if len(keys) == 1:
            span = keys[0]
        elif job_name == prune_job.name:  # a list of partitions, not a range
            span = f"{keys[0]}+{len(keys) - 1}"
        else:
            span = f"{keys[0]}..{keys[-1]}"
        return f"{job_name}:{span}@{digest}"

    def run_requests(
        self, trigger: str, *, extract_as_selection: bool = False
    ) -> list[dg.RunRequest]:
        """One request per batch, plus one `prune_job` request for removed files.

        `extract_as_selection` expresses extract-only batches as an asset selection of
        `refresh_job`, for a schedule (which can launch only its own job).
        """
        requests = []
        for batch in self.batches:
            as_selection = extract_as_selection and batch.job_name == extract_job.name
            requests.append(
                dg.RunRequest(
                    run_key=self.run_key(batch.job_name, batch.keys),
                    job_name=None if extract_as_selection else batch.job_name,
                    partition_key=batch.partition_key,
                    asset_selection=EXTRACT_ASSETS if as_selection else None,
                    tags={TRIGGER_TAG: trigger, **batch.run_tags()},
                )
            )
        if self.prune and not extract_as_selection:
            requests.append(
                dg.RunRequest(
                    run_key=self.run_key(prune_job.name, self.prune),
                    job_name=prune_job.name,
                    run_config=prune_run_config(list(self.prune)),
                    tags={TRIGGER_TAG: trigger},
                )
            )
        return requests

    def partition_requests(
        self,
    ) -> list[dg.AddDynamicPartitionsRequest | dg.DeleteDynamicPartitionsRequest]:
        """Register new files' partitions; unregister those of removed files."""
        requests: list[dg.AddDynamicPartitionsRequest | dg.DeleteDynamicPartitionsRequest] = []
        if self.register:
            requests.append(
                dg.AddDynamicPartitionsRequest(EPISODE_PARTITIONS_NAME, list(self.register))
            )
        if self.unregister:
            requests.append(
                dg.DeleteDynamicPartitionsRequest(EPISODE_PARTITIONS_NAME, list(self.unregister))
            )
        return requests

    def summary(self) -> str:
        p = self.plan
        parts = [
            f"new {len(p.new)}",
            f"changed {len(p.changed)}",
            f"stale {len(p.stale_ingest) + len(p.stale_extract)}",
            f"unchanged {len(p.unchanged)}",
            f"known rejected {len(p.known_rejected)}",
            f"removed {len(self.prune)}",
            f"busy {len(self.busy)}",
        ]
        return f"{len(p.files)} files: " + ", ".join(parts)

    def skip_message(self, *, prunes: bool = True) -> str:
        """Why nothing runs: every file is accounted for."""
        p = self.plan
        parts = [f"nothing to refresh: {len(p.unchanged)} files unchanged"]
        if p.known_rejected:
            parts.append(
                f"{len(p.known_rejected)} known rejected until their bytes change "
                f"({', '.join(p.files[k].name for k in p.known_rejected)}; see ingest_errors)"
            )
        if self.busy:
            runs = sorted(set(self.busy.values()))
            parts.append(
                f"{len(self.busy)} waiting for unfinished run(s) {', '.join(r[:8] for r in runs)}"
            )
        if self.prune and not prunes:
            parts.append(
                f"{len(self.prune)} removed file(s) left to raw_files_sensor or "
                "`podcast-assets refresh`"
            )
        if self.collisions:
            parts.append(f"{len(self.collisions)} skipped: {'; '.join(self.collisions)}")
        return "; ".join(parts)


def plan_work(
    raw_dir: Path,
    warehouse_path: Path,
    instance: dg.DagsterInstance,
    *,
    lock_timeout_s: float,
    unregister_removed: bool,
) -> Work:
    """Plan a tick. Raises WarehouseLockedError when a writer holds the file too long.

    `unregister_removed` says whether the caller deletes removed files' partitions before its
    runs start (a sensor can; a schedule cannot), which decides the partition order that
    batches are cut from.
    """
    # A run whose process died would hold its partitions (and the writer slot) forever.
    recovery = recover_dead_runs(instance)
    files, collisions = scan_raw_dir(raw_dir)
    try:
        with open_reader(warehouse_path, lock_timeout_s) as con:
            states = partition_states(con)
            rejected = rejections(con)
    except WarehouseMissingError:
        states, rejected = {}, {}
    plan = plan_refresh(
        files,
        states,
        rejected,
        ingest_version=ingestion.CODE_VERSION,
        extract_version=analysis.CODE_VERSION,
    )
    registered = instance.get_dynamic_partitions(EPISODE_PARTITIONS_NAME)
    busy = busy_partitions(instance, registered)
    present = set(plan.files)
    known = set(registered)
    register = tuple(k for k in plan.files if k not in known)
    unregister = tuple(k for k in registered if k not in present and k not in busy)
    # A rejected file that disappeared leaves a row in ingest_errors for prune_job to clear.
    names = {f.name for f in files} | {c.name for c in collisions}
    vanished = {episode_id_for(name) for name in rejected if name not in names}
    prune = tuple(sorted((set(plan.removed) | vanished) - present - set(busy)))
    dropped = set(unregister) if unregister_removed else set()
    order = [k for k in registered if k not in dropped] + list(register)
    idle = replace(
        plan,
        new=_idle(plan.new, busy),
        changed=_idle(plan.changed, busy),
        stale_ingest=_idle(plan.stale_ingest, busy),
        stale_extract=_idle(plan.stale_extract, busy),
    )
    return Work(
        plan=plan,
        states=states,
        register=register,
        unregister=unregister,
        batches=tuple(plan_batches(idle, order)),
        prune=prune,
        busy={k: run_id for k, run_id in busy.items() if k in present or k in plan.removed},
        collisions=tuple(c.reason for c in collisions),
        recovered=tuple(f"{run.describe()} marked failed: {why}" for run, why in recovery.dead),
    )


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


def _idle(keys: Iterable[str], busy: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(k for k in keys if k not in busy)


def _state(steps: Mapping[str, PartitionState]) -> list[list[str] | None]:
    return [
        [steps[s].content_sha256, steps[s].code_version] if s in steps else None
        for s in (ingestion.STEP, analysis.STEP)
    ]


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
        work = plan_work(
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
    context.log.info(work.summary())
    for line in work.recovered:
        context.log.warning(f"recovered: {line}")
    for reason in work.collisions:
        context.log.warning(f"not ingested: {reason}")
    partition_requests = work.partition_requests()
    runs = work.run_requests("sensor")
    if not runs:
        return dg.SensorResult(
            skip_reason=work.skip_message(), dynamic_partitions_requests=partition_requests
        )
    return dg.SensorResult(run_requests=runs, dynamic_partitions_requests=partition_requests)
