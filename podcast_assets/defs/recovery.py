"""Runs whose process died: found, marked failed, and their concurrency slots freed.

A refresh killed with SIGKILL (or by the OOM killer) cannot report its own end: its run
stays STARTED and keeps its `warehouse_writer` slot, and every later run waits for that slot
forever. The run monitoring daemon cleans this up only where the daemon runs (`make ui`);
the CLI, the sensor and the schedule call `recover_dead_runs` before they launch anything.

A run's own process is the first pid its engine events record (the run worker, or the
process that executed the steps in-process). A pid that no longer exists, or that now
belongs to a younger process, is a dead run. This is only sound where runs execute on this
machine: the default run launcher and the CLI's in-process runs, which is what this project
configures.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import dagster as dg
import psutil
from dagster._core.launcher import DefaultRunLauncher

WRITER_POOL = "warehouse_writer"
# How long a run may sit in STARTING without recording a process before it counts as dead
# (the same figure as `run_monitoring.start_timeout_seconds` in dagster.yaml).
START_TIMEOUT_S = 180.0
# A process created this long after the run recorded its pid is a different process.
_PID_CLOCK_SLACK_S = 2.0
_RUNNING = [
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


class PoolBusyError(RuntimeError):
    """A live run kept the warehouse's writer slot longer than we were willing to wait."""


@dataclass(frozen=True, slots=True)
class RunProcess:
    """An unfinished run and the process that executes it (None: none recorded yet)."""

    run_id: str
    job_name: str
    pid: int | None

    def describe(self) -> str:
        where = f"pid {self.pid}" if self.pid is not None else "no process yet"
        return f"run {self.run_id[:8]} of {self.job_name} ({where})"


@dataclass(frozen=True, slots=True)
class Recovery:
    dead: tuple[tuple[RunProcess, str], ...]  # (run, why it was declared dead)
    live: tuple[RunProcess, ...]
    freed_orphan_slots: tuple[str, ...]  # runs already finished that still held slots


def recover_dead_runs(
    instance: dg.DagsterInstance, *, start_timeout_s: float = START_TIMEOUT_S
) -> Recovery:
    """Mark unfinished runs whose process is gone as failed and free their slots."""
    dead: list[tuple[RunProcess, str]] = []
    live: list[RunProcess] = []
    local = isinstance(instance.run_launcher, DefaultRunLauncher)
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=_RUNNING)):
        found = _run_process(instance, run.run_id)
        proc = RunProcess(run.run_id, run.job_name, found[0] if found else None)
        reason = _why_dead(instance, run.run_id, found, start_timeout_s) if local else None
        if reason is None:
            live.append(proc)
            continue
        instance.report_run_failed(
            run,
            message=f"Marked failed by podcast-assets: {reason}. Its partitions are redone "
            "by the next refresh.",
        )
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        dead.append((proc, reason))
    freed = []
    for run_id in sorted(instance.event_log_storage.get_concurrency_run_ids()):
        holder = instance.get_run_by_id(run_id)
        if holder is None or holder.is_finished:
            instance.event_log_storage.free_concurrency_slots_for_run(run_id)
            freed.append(run_id)
    return Recovery(tuple(dead), tuple(live), tuple(freed))


def _run_process(instance: dg.DagsterInstance, run_id: str) -> tuple[int, float] | None:
    """(pid, when it was recorded) of the run's own process, from its first engine event."""
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        event = entry.dagster_event
        data = event.engine_event_data if event else None
        pid = (data.metadata or {}).get("pid") if data else None
        if pid is not None:
            try:
                return int(str(pid.value)), entry.timestamp
            except ValueError:
                continue
    return None


def _why_dead(
    instance: dg.DagsterInstance,
    run_id: str,
    found: tuple[int, float] | None,
    start_timeout_s: float,
) -> str | None:
    if found is None:
        record = instance.get_run_record_by_id(run_id)
        since = record.create_timestamp.timestamp() if record else 0.0
        if time.time() - since < start_timeout_s:
            return None
        return f"it recorded no process within {start_timeout_s:.0f} s of being created"
    pid, recorded_at = found
    try:
        process = psutil.Process(pid)
        alive = process.status() != psutil.STATUS_ZOMBIE
        younger = process.create_time() > recorded_at + _PID_CLOCK_SLACK_S
    except psutil.NoSuchProcess:
        alive, younger = False, False
    if alive and not younger:
        return None
    return f"its process (pid {pid}) is gone: it was killed or crashed"


def writer_slot_holders(instance: dg.DagsterInstance, pool: str = WRITER_POOL) -> set[str]:
    """Ids of the runs that hold (or were granted) a slot of the writer pool."""
    info = instance.event_log_storage.get_concurrency_info(pool)
    return info.active_run_ids | info.assigned_run_ids


def wait_for_writer_slot(
    instance: dg.DagsterInstance,
    *,
    timeout_s: float,
    echo: Callable[[str], None],
    poll_s: float = 5.0,
) -> Recovery:
    """Recover dead runs, then wait (saying so) until no live run holds the writer slot.

    Dagster's own wait for a slot inside a run is silent and cannot be interrupted, so the
    CLI waits here first. Raises PoolBusyError after `timeout_s`.
    """
    started = time.monotonic()
    recovery = recover_dead_runs(instance)
    dead = list(recovery.dead)
    while True:
        holders = writer_slot_holders(instance)
        if not holders:
            return Recovery(tuple(dead), recovery.live, recovery.freed_orphan_slots)
        waited = time.monotonic() - started
        names = ", ".join(p.describe() for p in recovery.live if p.run_id in holders)
        names = names or ", ".join(f"run {h[:8]}" for h in sorted(holders))
        if waited >= timeout_s:
            raise PoolBusyError(
                f"gave up after {timeout_s:g} s: the warehouse is being written by {names}. "
                "Wait for it to finish (the UI shows it), or stop it; raise "
                "PODCAST_LOCK_TIMEOUT to wait longer"
            )
        echo(
            f"waiting for {names}, which is writing the warehouse: "
            f"{waited:.0f} s of {timeout_s:g} s"
        )
        time.sleep(min(poll_s, max(0.1, timeout_s - waited)))
        recovery = recover_dead_runs(instance)
        dead.extend(recovery.dead)
