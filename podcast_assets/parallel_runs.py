"""A lake refresh as concurrent runs over disjoint partition ranges, one process each.

A DuckLake takes writers from many processes, so the NLP of a big refresh need not funnel
through one: `planning.split_batches` cuts each range batch into up to N contiguous ranges,
and `run_all` executes them N at a time, each as its own run in a process of its own
(`python -m podcast_assets.parallel_runs`), recorded in the instance like any CLI run.
A worker that dies (killed, out of memory) takes only its own run with it; the next refresh
recovers that run and plans its unwritten partitions again. On many machines, the same runs
come from the run queue and a per-run launcher (docs/operations.md, "More than one machine").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from podcast_assets.failures import UNKNOWN
from podcast_assets.planning import Batch, BatchKind, RefreshPlan
from podcast_assets.preflight import RefreshSummary
from podcast_assets.runs import StoredResult, record_failure
from podcast_assets.settings import WarehouseTarget

_POLL_S = 0.2


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one concurrent run ended: its run id (None if its worker died before it had one)."""

    batch: Batch
    run_id: str | None
    success: bool
    exit_code: int


def run_all(
    batches: Sequence[Batch],
    workers: int,
    raw_dir: Path,
    target: WarehouseTarget,
    lock_timeout_s: float,
    echo: Callable[[str], None],
) -> list[Outcome]:
    """Run every batch, `workers` at a time, each in a process of its own; wait for all."""
    pending = list(batches)
    # The runs share this machine's cores: each extracts with its share, not with all of them
    # (a run's NLP alone fills two cores; two runs of two workers each would thrash).
    cores = max(1, (os.cpu_count() or 1) // min(workers, max(1, len(pending))))
    running: dict[subprocess.Popen[str], Batch] = {}
    outcomes: list[Outcome] = []
    try:
        while pending or running:
            while pending and len(running) < workers:
                batch = pending.pop(0)
                echo(
                    f"run: {batch.kind} for {len(batch.keys)} partition(s) "
                    f"[{batch.start} .. {batch.end}] (concurrent)"
                )
                running[_start(batch, raw_dir, target, lock_timeout_s, cores)] = batch
            for proc in [p for p in running if p.poll() is not None]:
                outcomes.append(_outcome(proc, running.pop(proc)))
            time.sleep(_POLL_S)
    finally:
        for proc in running:  # interrupted: the workers stop with us (SIGTERM, as Ctrl-C does)
            proc.terminate()
        for proc in running:
            proc.wait()
    return outcomes


def record(
    summary: RefreshSummary,
    outcomes: Sequence[Outcome],
    instance: dg.DagsterInstance,
    plan: RefreshPlan,
    target: WarehouseTarget,
    lock_timeout_s: float,
) -> None:
    """Each run's id into the summary, and each failure with its cause, as for one run."""
    for outcome in outcomes:
        if outcome.run_id is not None:
            summary.run_ids.append(outcome.run_id)
        if outcome.success:
            continue
        if outcome.run_id is None:  # the worker died before its run existed
            summary.causes.append(UNKNOWN)
            summary.failed_runs.append(
                f"failed: the worker of [{outcome.batch.start} .. {outcome.batch.end}] exited "
                f"with {outcome.exit_code}; the next refresh redoes its partitions"
            )
            continue
        stored = StoredResult.read(instance, outcome.run_id)
        record_failure(summary, stored, outcome.batch.keys, plan, target, lock_timeout_s)


def _start(
    batch: Batch, raw_dir: Path, target: WarehouseTarget, lock_timeout_s: float, cores: int
) -> subprocess.Popen[str]:
    job = {
        "nlp_processes": cores,
        "kind": str(batch.kind),
        "keys": list(batch.keys),
        "raw_dir": str(raw_dir),
        "warehouse": str(target),
        "lock_timeout_s": lock_timeout_s,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "podcast_assets.parallel_runs", json.dumps(job)],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )


def _outcome(proc: subprocess.Popen[str], batch: Batch) -> Outcome:
    out = proc.stdout.read() if proc.stdout else ""
    last = out.strip().splitlines()[-1] if out.strip() else ""
    try:
        result = json.loads(last)
    except json.JSONDecodeError:
        result = {}
    return Outcome(batch, result.get("run_id"), bool(result.get("success")), proc.returncode)


def _main(job_json: str) -> int:
    """The worker: one run, in this process, reported as one JSON line on stdout."""
    from podcast_assets.definitions import defs
    from podcast_assets.runs import execute_batch

    job = json.loads(job_json)
    batch = Batch(BatchKind(job["kind"]), tuple(job["keys"]))
    with dg.DagsterInstance.get() as instance:
        result = execute_batch(
            defs,
            batch,
            instance,
            Path(job["raw_dir"]),
            job["warehouse"],
            job["lock_timeout_s"],
            nlp_processes=job["nlp_processes"],
        )
    print(json.dumps({"run_id": result.run_id, "success": result.success}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1]))
