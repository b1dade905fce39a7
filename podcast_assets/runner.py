"""The CLI's runner: carry out a refresh plan through Dagster, in this process.

Every materialization goes through the Dagster instance (so the UI shows the runs), in as
few runs as the partition order allows (`planning.plan_batches`): one run per contiguous
range of partitions that need the same work, and a file expected to be rejected alone, so
its failure names it and never blocks the good files. The `Definitions` come from the caller,
so nothing here imports `definitions` (no import circle).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import dagster as dg

from podcast_assets import parallel_runs, search_index, settings, steps, warehouse
from podcast_assets.defs.jobs import search_index_job
from podcast_assets.defs.partitions import EPISODE_PARTITIONS_NAME
from podcast_assets.defs.recovery import WRITER_POOL, Recovery, wait_for_writer_slot
from podcast_assets.defs.resources import WarehouseResource
from podcast_assets.defs.run_requests import TRIGGER_TAG
from podcast_assets.models import RawFile
from podcast_assets.parsing.memo import PARSES
from podcast_assets.planning import Batch, RefreshPlan, plan_batches, split_batches
from podcast_assets.preflight import RefreshSummary, Scan, plan_from
from podcast_assets.rawfiles import Refusal, scan_raw_dir
from podcast_assets.runs import QUIET_RUN_CONFIG, execute_batch, execute_here, record_failure
from podcast_assets.settings import WarehouseTarget


def open_instance(note: Callable[[str], None]) -> dg.DagsterInstance:
    """The persistent instance the UI reads: $DAGSTER_HOME, else the repo's dagster.yaml."""
    if not settings.DAGSTER_HOME.is_set() and Path("dagster.yaml").is_file():
        os.environ[settings.DAGSTER_HOME.name] = str(Path.cwd())
    home = settings.DAGSTER_HOME.value()
    if not home:
        note(
            "note: DAGSTER_HOME is not set and there is no dagster.yaml here; runs are recorded "
            "in a temporary instance the UI will not show"
        )
        return dg.DagsterInstance.ephemeral()
    with _instance_creation_lock(Path(home)):
        instance = dg.DagsterInstance.get()
        # Touch every storage now, under the lock: two first refreshes would otherwise race
        # to create the same SQLite tables ("table alembic_version already exists").
        instance.get_runs(limit=1)
        instance.get_dynamic_partitions(EPISODE_PARTITIONS_NAME)
        instance.event_log_storage.get_concurrency_run_ids()
    return instance


@contextlib.contextmanager
def _instance_creation_lock(home: Path) -> Iterator[None]:
    """An exclusive file lock around opening (and, the first time, creating) the instance."""
    lock_path = home / ".dagster" / "instance.lock"
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = lock_path.open("a")
    except OSError:  # a read-only home: nothing to create, so nothing to race on
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_refresh(
    defs: dg.Definitions,
    raw_dir: Path,
    warehouse_path: WarehouseTarget,
    instance: dg.DagsterInstance,
    *,
    lock_timeout_s: float = warehouse.DEFAULT_LOCK_TIMEOUT_S,
    echo: Callable[[str], None] = lambda _: None,
    search_index: bool = True,
    scanned: Scan | None = None,
) -> RefreshSummary:
    """Plan, register partitions, launch the runs, and report.

    With `search_index`, a run of `search_index_job` follows when the index no longer covers
    every transcript (a rebuild is whole: seconds per thousand episodes). `scanned`: the
    preflight's scan of `raw_dir`, taken moments ago (else the folder is scanned here).
    """
    started = time.monotonic()
    summary = RefreshSummary()
    files, collisions = (scanned.files, scanned.refusals) if scanned else scan_raw_dir(raw_dir)
    summary.files_seen = len(files) + len(collisions)

    # Runs left STARTED by a killed refresh are failed and their slots freed before planning,
    # so that their unfinished partitions are planned again.
    summary.recovered_runs.extend(
        _recovered_lines(wait_for_writer_slot(instance, timeout_s=lock_timeout_s, echo=echo))
    )
    plan = summary.plan = _plan_and_prune(
        summary, files, collisions, warehouse_path, lock_timeout_s
    )

    _sync_partitions(instance, [f.episode_id for f in files])
    order = instance.get_dynamic_partitions(EPISODE_PARTITIONS_NAME)

    runner = _BatchRunner(
        defs,
        instance,
        raw_dir,
        warehouse_path,
        lock_timeout_s,
        echo,
        summary,
        workers=_workers(instance, warehouse_path, echo),
    )
    runner.run(plan, order)
    if not summary.interrupted and plan.has_work:
        # A feed written by this refresh marks the episodes it names stale: refresh those too,
        # once, rather than leave them to the next refresh.
        follow_up = _follow_up(plan, files, warehouse_path, lock_timeout_s)
        if follow_up.has_work:
            echo(f"feeds changed the metadata of {len(follow_up.stale_ingest)} episode(s)")
            runner.run(follow_up, order)
            plan = summary.plan = replace(
                plan, stale_ingest=(*plan.stale_ingest, *follow_up.stale_ingest)
            )
    _read_back(summary, plan, warehouse_path, lock_timeout_s)
    if search_index and not summary.interrupted:
        _rebuild_search_index(runner, plan)
    summary.seconds = time.monotonic() - started
    return summary


@dataclass
class _BatchRunner:
    """Launches the runs of a plan one at a time, recording what failed and why."""

    defs: dg.Definitions
    instance: dg.DagsterInstance
    raw_dir: Path
    warehouse_path: WarehouseTarget
    lock_timeout_s: float
    echo: Callable[[str], None]
    summary: RefreshSummary
    workers: int = 1  # concurrent runs: more than one only on a lake

    def run(self, plan: RefreshPlan, order: Sequence[str]) -> None:
        in_process = self.workers == 1
        expected = steps.ingest.expected_rejections(
            (plan.files[k] for k in plan.to_ingest), keep_parses=in_process
        )
        batches = plan_batches(plan, order, expected)
        if in_process:
            self.run_here(plan, batches)
        elif batches:
            self.run_concurrently(plan, split_batches(batches, self.workers))

    def run_here(self, plan: RefreshPlan, batches: Sequence[Batch]) -> None:
        """One run at a time in this process; parses planning kept and no run took are dropped."""
        summary = self.summary
        try:
            for batch in batches:
                # Dagster's own wait for the writer slot is silent and deaf to signals: wait here.
                recovery = wait_for_writer_slot(
                    self.instance, timeout_s=self.lock_timeout_s, echo=self.echo
                )
                summary.recovered_runs.extend(_recovered_lines(recovery))
                self.echo(
                    f"run: {batch.kind} for {len(batch.keys)} partition(s) "
                    f"[{batch.start} .. {batch.end}]"
                )
                result = execute_batch(
                    self.defs,
                    batch,
                    self.instance,
                    self.raw_dir,
                    self.warehouse_path,
                    self.lock_timeout_s,
                )
                summary.run_ids.append(result.run_id)
                if not result.success:
                    record_failure(
                        summary, result, batch.keys, plan, self.warehouse_path, self.lock_timeout_s
                    )
                    if summary.interrupted:
                        break
        finally:
            PARSES.forget()

    def run_concurrently(self, plan: RefreshPlan, batches: Sequence[Batch]) -> None:
        """The batches as concurrent runs, each in a process of its own (lake only)."""
        recovery = wait_for_writer_slot(
            self.instance, timeout_s=self.lock_timeout_s, echo=self.echo
        )
        self.summary.recovered_runs.extend(_recovered_lines(recovery))
        # The pool's rows are created by whichever run first claims a slot; on PostgreSQL two
        # workers doing it at once collide (a unique key, then an aborted transaction), so
        # create them before they start. Only once: Dagster's own "insert, else update" fails
        # the same way on PostgreSQL when the row exists.
        storage = self.instance.event_log_storage
        if WRITER_POOL not in storage.get_concurrency_keys():
            storage.initialize_concurrency_limit_to_default(WRITER_POOL)
        outcomes = parallel_runs.run_all(
            batches, self.workers, self.raw_dir, self.warehouse_path, self.lock_timeout_s, self.echo
        )
        parallel_runs.record(
            self.summary, outcomes, self.instance, plan, self.warehouse_path, self.lock_timeout_s
        )


def _rebuild_search_index(runner: _BatchRunner, plan: RefreshPlan) -> None:
    """Run `search_index_job` when `search_index.rebuild_reason` says so; a few changed
    transcripts are searched without the index until the nightly rebuild."""
    if warehouse.is_lake(runner.warehouse_path):
        runner.summary.search_index = "not available on a DuckLake warehouse"
        return
    with warehouse.open_reader(runner.warehouse_path, runner.lock_timeout_s) as con:
        reason = search_index.rebuild_reason(con)
    if reason is None:
        return
    runner.echo(f"run: search_index ({reason})")
    result = execute_here(
        runner.defs.resolve_job_def(search_index_job.name),
        instance=runner.instance,
        resources={
            "warehouse": WarehouseResource(
                path=str(runner.warehouse_path), lock_timeout_s=runner.lock_timeout_s
            )
        },
        tags={TRIGGER_TAG: "cli"},
        run_config=QUIET_RUN_CONFIG,
        raise_on_error=False,
    )
    if not result.success:
        record_failure(
            runner.summary, result, [], plan, runner.warehouse_path, runner.lock_timeout_s
        )
        runner.summary.search_index = f"not rebuilt (run {result.run_id[:8]} failed)"
        return
    (event,) = result.get_asset_materialization_events()
    meta = event.materialization.metadata
    runner.summary.search_index = (
        f"rebuilt: {meta['dagster/row_count'].value} passages of "
        f"{meta['episodes'].value} episodes in {meta['build_seconds'].value:.1f} s"
    )


def _workers(
    instance: dg.DagsterInstance, target: WarehouseTarget, echo: Callable[[str], None]
) -> int:
    """How many runs at once: $PODCAST_CONCURRENT_RUNS on a lake, within the instance's
    writer pool (its in-process runs wait for a slot each); one on a DuckDB file."""
    if not warehouse.is_lake(target):
        return 1
    wanted = settings.concurrent_runs()
    limit = instance.global_op_concurrency_default_limit
    if limit is not None and 0 < limit < wanted:
        echo(
            f"note: the instance's {WRITER_POOL} pool admits {limit} run(s) at a time, not "
            f"{wanted}: use instances/lake/dagster.yaml (docs/operations.md) for concurrent runs"
        )
        return max(1, limit)
    return wanted


def _follow_up(
    plan: RefreshPlan,
    files: Sequence[RawFile],
    warehouse_path: WarehouseTarget,
    lock_timeout_s: float,
) -> RefreshPlan:
    """The partitions that a feed written by this refresh marked stale.

    Whether or not this refresh ran them already: one that ran before the feed's run took
    the old metadata. A partition is stale only through a feed here (code versions did not
    change), so this is one more pass, never a loop.
    """
    with warehouse.open_reader(warehouse_path, lock_timeout_s) as con:
        again = plan_from(con, files)
    return RefreshPlan(stale_ingest=again.stale_ingest, files=plan.files)


def _plan_and_prune(
    summary: RefreshSummary,
    files: Sequence[RawFile],
    refusals: Sequence[Refusal],
    warehouse_path: WarehouseTarget,
    lock_timeout_s: float,
) -> RefreshPlan:
    """Plan from the warehouse; prune removed files and record refusals, in one connection."""
    with warehouse.open_writer(warehouse_path, lock_timeout_s) as con:
        plan = plan_from(con, files)
        summary.removed = steps.extract.remove_episodes(con, plan.removed)
        warehouse.clear_rejections(con, [f.name for f in files] + [r.name for r in refusals])
        for refusal in refusals:
            warehouse.record_rejection(
                con,
                episode_id=refusal.episode_id,
                source_file=refusal.name,
                content_sha256=None,
                reason=refusal.reason,
            )
            summary.rejected[refusal.name] = refusal.reason
        known = warehouse.rejections(con)
    for episode_id in plan.known_rejected:
        name = plan.files[episode_id].name
        summary.rejected[name] = known[name][1]
    return plan


def _recovered_lines(recovery: Recovery) -> list[str]:
    lines = [f"{run.describe()} marked failed: {why}" for run, why in recovery.dead]
    lines += [
        f"freed the writer slot still held by finished run {run_id[:8]}"
        for run_id in recovery.freed_orphan_slots
    ]
    return lines


def _read_back(
    summary: RefreshSummary,
    plan: RefreshPlan,
    warehouse_path: WarehouseTarget,
    lock_timeout_s: float,
) -> None:
    """Which planned partitions the warehouse now holds at the current bytes and code."""
    if not (plan.to_ingest or plan.to_extract_only):
        return
    with warehouse.open_reader(warehouse_path, lock_timeout_s) as con:
        states = warehouse.partition_states(con)

    def done(key: str, step: str, version: str) -> bool:
        state = states.get(key, {}).get(step)
        return (
            state is not None
            and state.content_sha256 == plan.files[key].content_sha256
            and state.code_version == version
        )

    summary.ingested = [
        k for k in plan.to_ingest if done(k, steps.ingest.STEP, steps.ingest.CODE_VERSION)
    ]
    summary.extracted = [
        k
        for k in (*plan.to_ingest, *plan.to_extract_only)
        if done(k, steps.extract.STEP, steps.extract.CODE_VERSION)
    ]


def _sync_partitions(instance: dg.DagsterInstance, present: Sequence[str]) -> None:
    """Register every present file; unregister every key without a file.

    Not only the `removed` partitions (those with rows): a file that was only ever rejected
    and then deleted has no rows but still has a partition.
    """
    existing = instance.get_dynamic_partitions(EPISODE_PARTITIONS_NAME)
    known = set(existing)
    new = [k for k in present if k not in known]
    if new:
        instance.add_dynamic_partitions(EPISODE_PARTITIONS_NAME, new)
    wanted = set(present)
    for key in existing:
        if key not in wanted:
            instance.delete_dynamic_partition(EPISODE_PARTITIONS_NAME, key)
