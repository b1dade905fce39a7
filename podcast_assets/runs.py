"""One run of a batch, executed in this process, and what a failed run says.

A run's failure is classified (its cause, its rejected files) for the refresh summary, from
an in-process run's result or, for a run another process executed (a concurrent run's
worker), from the instance's event log. The CLI's runner and its concurrent workers share this.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg

from podcast_assets import settings, warehouse
from podcast_assets.defs.resources import RawFilesResource, SpacyResource, WarehouseResource
from podcast_assets.defs.run_requests import TRIGGER_TAG, batch_tags, job_name
from podcast_assets.failures import INTERRUPTED, UNKNOWN, classify
from podcast_assets.planning import Batch, RefreshPlan
from podcast_assets.preflight import RefreshSummary
from podcast_assets.settings import WarehouseTarget

# The summary reports every failure with its cause; the run's full log is in the instance (UI).
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def execute_batch(
    defs: dg.Definitions,
    batch: Batch,
    instance: dg.DagsterInstance,
    raw_dir: Path,
    warehouse_path: WarehouseTarget,
    lock_timeout_s: float,
    *,
    nlp_processes: int | None = None,
) -> dg.ExecuteInProcessResult:
    """Run `batch` here. `nlp_processes`: the extraction workers this run may use (concurrent
    runs share the machine's cores), else the `nlp` resource's own setting."""
    resources: dict[str, Any] = {
        # The directories this refresh planned from, whatever the environment says.
        "raw_files": RawFilesResource(path=str(raw_dir)),
        "warehouse": WarehouseResource(path=str(warehouse_path), lock_timeout_s=lock_timeout_s),
    }
    if nlp_processes is not None:
        resources["nlp"] = SpacyResource(
            model=settings.SPACY_MODEL.value(), n_process=nlp_processes
        )
    return execute_here(
        defs.resolve_job_def(job_name(batch)),
        instance=instance,
        resources=resources,
        partition_key=batch.partition_key,
        tags={TRIGGER_TAG: "cli", **batch_tags(batch)},
        run_config=QUIET_RUN_CONFIG,
        raise_on_error=False,
    )


def execute_here(job: dg.JobDefinition, **kwargs: Any) -> dg.ExecuteInProcessResult:
    """`job.execute_in_process`, leaving this process's SIGTERM handler as it found it.

    When a run ends, Dagster points SIGTERM at whatever handles SIGINT (for Kubernetes). Where
    SIGINT is ignored, as in a job a script starts with `&`, SIGTERM was then ignored too: the
    refresh (or the watcher) could no longer be stopped once its first run had ended.
    """
    handler = signal.getsignal(signal.SIGTERM)
    try:
        return job.execute_in_process(**kwargs)
    finally:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, handler)


@dataclass(frozen=True)
class StoredResult:
    """A finished run read back from the instance: what `record_failure` reads of a result."""

    @classmethod
    def read(cls, instance: dg.DagsterInstance, run_id: str) -> StoredResult:
        logs = instance.all_logs(run_id)
        return cls(run_id, [e.dagster_event for e in logs if e.dagster_event])

    run_id: str
    all_events: Sequence[Any]


def record_failure(
    summary: RefreshSummary,
    result: dg.ExecuteInProcessResult | StoredResult,
    keys: Sequence[str],
    plan: RefreshPlan,
    warehouse_path: WarehouseTarget,
    lock_timeout_s: float,
) -> None:
    """Rejections are expected failures; anything else is a failed run, with its real cause."""
    failure = next((e for e in result.all_events if e.event_type_value == "STEP_FAILURE"), None)
    error = failure.step_failure_data.error if failure and failure.step_failure_data else None
    class_names, messages = _error_chain(error)
    cause = classify(class_names, " ".join(messages))
    if cause != INTERRUPTED:
        with warehouse.open_reader(warehouse_path, lock_timeout_s) as con:
            known = warehouse.rejections(con)
        names = {plan.files[k].name for k in keys if k in plan.files}
        rejected_here = {n: known[n][1] for n in names if n in known}
        summary.rejected.update(rejected_here)
        if rejected_here and cause is UNKNOWN:  # the step failed for its rejected files
            return
    summary.causes.append(cause)
    if cause == INTERRUPTED:
        detail = "stopped by a signal (SIGTERM or SIGINT)"
    else:
        detail = "; caused by: ".join(messages) or (failure.message if failure else "") or "?"
    advice = f" ({cause.advice})" if cause.advice else ""
    summary.failed_runs.append(f"{cause.kind}: run {result.run_id[:8]}: {detail}{advice}")


def _error_chain(error: object) -> tuple[list[str], list[str]]:
    """Class names and first lines of a serialized error and its causes, outermost first."""
    class_names: list[str] = []
    messages: list[str] = []
    seen = 0
    while error is not None and seen < 10:
        seen += 1
        class_name = str(getattr(error, "cls_name", "") or "")
        class_names.append(class_name)
        message = str(getattr(error, "message", "") or "").strip().splitlines()
        text = message[0] if message else ""
        # Dagster's wrapper ("Error occurred while executing op ...") says nothing new.
        wrapper = class_name == "DagsterExecutionStepExecutionError"
        if text and not wrapper and not any(text in m for m in messages):
            messages.append(text)
        error = getattr(error, "cause", None) or getattr(error, "context", None)
    return class_names, messages
