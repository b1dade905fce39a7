"""`podcast-assets refresh`: bring the warehouse in line with the raw directory, via Dagster.

Every materialization goes through the Dagster instance (so the UI shows the runs), in as
few runs as the partition order allows: one run per contiguous range of partitions that need
the same work. A file already known to be bad gets its own run, so its failure names it and
never blocks the good files.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from podcast_assets import analysis, ingestion, warehouse
from podcast_assets.defs.jobs import extract_job, refresh_job
from podcast_assets.defs.partitions import EPISODE_PARTITIONS_NAME
from podcast_assets.parsing import ParseError, parse_bytes
from podcast_assets.planning import RefreshPlan, contiguous_ranges, plan_refresh
from podcast_assets.rawfiles import read_raw_file, scan_raw_dir

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
_QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass
class RefreshSummary:
    files_seen: int = 0
    plan: RefreshPlan = field(default_factory=RefreshPlan)
    ingested: list[str] = field(default_factory=list)
    extracted: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)  # source_file -> reason
    removed: dict[str, dict[str, int]] = field(default_factory=dict)
    failed_runs: list[str] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        return 1 if self.rejected or self.failed_runs else 0

    def lines(self) -> list[str]:
        p = self.plan
        out = [
            f"files seen: {self.files_seen} (new {len(p.new)}, changed {len(p.changed)}, "
            f"stale {len(p.stale_ingest) + len(p.stale_extract)}, unchanged {len(p.unchanged)}, "
            f"removed {len(p.removed)})"
        ]
        if not p.has_work and not self.failed_runs:
            out.append(
                f"nothing to do: {len(p.unchanged)} files unchanged since the last refresh; "
                "no run launched"
            )
        else:
            out.append(
                f"episodes written: {len(self.ingested)}; extracted: {len(self.extracted)}; "
                f"runs: {len(self.run_ids)} in {self.seconds:.1f} s"
            )
        for episode_id, counts in self.removed.items():
            out.append(f"removed {episode_id}: {sum(counts.values())} rows deleted ({counts})")
        out.append(f"files rejected: {len(self.rejected)}")
        out.extend(f"  - {reason}" for reason in self.rejected.values())
        out.extend(f"run failed: {message}" for message in self.failed_runs)
        return out


def refresh(
    raw_dir: Path,
    warehouse_path: Path,
    instance: dg.DagsterInstance,
    *,
    lock_timeout_s: float = warehouse.DEFAULT_LOCK_TIMEOUT_S,
    echo: Callable[[str], None] = lambda _: None,
) -> RefreshSummary:
    """Plan, register partitions, launch the runs, and report."""
    started = time.monotonic()
    summary = RefreshSummary()
    files, collisions = scan_raw_dir(raw_dir)
    summary.files_seen = len(files) + len(collisions)

    with warehouse.open_writer(warehouse_path, lock_timeout_s) as con:
        plan = plan_refresh(
            files,
            warehouse.partition_states(con),
            warehouse.rejections(con),
            ingest_version=ingestion.CODE_VERSION,
            extract_version=analysis.CODE_VERSION,
        )
        summary.removed = warehouse.remove_partitions(con, plan.removed)
        warehouse.clear_rejections(con, [f.name for f in files] + [c.name for c in collisions])
        for collision in collisions:
            warehouse.record_rejection(
                con,
                episode_id=collision.episode_id,
                source_file=collision.name,
                content_sha256=None,
                reason=collision.reason,
            )
            summary.rejected[collision.name] = collision.reason
        known = warehouse.rejections(con)
    summary.plan = plan
    for episode_id in plan.known_rejected:
        name = plan.files[episode_id].name
        summary.rejected[name] = known[name][1]

    _sync_partitions(instance, [f.episode_id for f in files])
    order = instance.get_dynamic_partitions(EPISODE_PARTITIONS_NAME)

    for batch in plan_batches(plan, order):
        echo(f"run: {batch.what} for {len(batch.keys)} partition(s) [{batch.start} .. {batch.end}]")
        result = _execute(batch, instance, raw_dir, warehouse_path, lock_timeout_s)
        summary.run_ids.append(result.run_id)
        if result.success:
            if batch.job_name == refresh_job.name:
                summary.ingested.extend(batch.keys)
            summary.extracted.extend(batch.keys)
        else:
            _record_failure(summary, result, batch.keys, plan, warehouse_path, lock_timeout_s)
    summary.seconds = time.monotonic() - started
    return summary


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


@dataclass(frozen=True)
class Batch:
    """One run: a job over a contiguous range of partitions that need the same work."""

    job_name: str
    keys: tuple[str, ...]
    what: str

    @property
    def start(self) -> str:
        return self.keys[0]

    @property
    def end(self) -> str:
        return self.keys[-1]

    def run_tags(self) -> dict[str, str]:
        """Range tags for a multi-partition run (Dagster's single-run backfill contract)."""
        if len(self.keys) == 1:
            return {}
        return {RANGE_START_TAG: self.start, RANGE_END_TAG: self.end}

    @property
    def partition_key(self) -> str | None:
        return self.keys[0] if len(self.keys) == 1 else None


def plan_batches(plan: RefreshPlan, order: Sequence[str]) -> list[Batch]:
    """The runs that carry out `plan`, given the instance's partition order.

    Files that will be rejected run alone so that each failed run names one file; the rest run
    in as few ranges as the order allows.
    """
    bad, good = _prevalidate(plan, plan.to_ingest)
    position = {key: i for i, key in enumerate(order)}

    def ranges(keys: Sequence[str]) -> list[tuple[str, ...]]:
        return [
            tuple(order[position[start] : position[end] + 1])
            for start, end in contiguous_ranges(keys, order)
        ]

    return [
        *(Batch(refresh_job.name, (k,), "ingest+extract (expected to be rejected)") for k in bad),
        *(Batch(refresh_job.name, keys, "ingest+extract") for keys in ranges(good)),
        *(Batch(extract_job.name, keys, "extract only") for keys in ranges(plan.to_extract_only)),
    ]


def _prevalidate(plan: RefreshPlan, keys: Sequence[str]) -> tuple[list[str], list[str]]:
    """Split keys into files that will be rejected and files that parse."""
    bad: list[str] = []
    good: list[str] = []
    for key in keys:
        raw_file = plan.files[key]
        try:
            parse_bytes(read_raw_file(Path(raw_file.path)), raw_file.name)
        except (ParseError, OSError):
            bad.append(key)
        else:
            good.append(key)
    return bad, good


def _execute(
    batch: Batch,
    instance: dg.DagsterInstance,
    raw_dir: Path,
    warehouse_path: Path,
    lock_timeout_s: float,
) -> dg.ExecuteInProcessResult:
    from podcast_assets.definitions import defs
    from podcast_assets.defs.resources import RawFilesResource, WarehouseResource

    return defs.resolve_job_def(batch.job_name).execute_in_process(
        instance=instance,
        # The directories this refresh planned from, whatever the environment says.
        resources={
            "raw_files": RawFilesResource(path=str(raw_dir)),
            "warehouse": WarehouseResource(path=str(warehouse_path), lock_timeout_s=lock_timeout_s),
        },
        partition_key=batch.partition_key,
        tags={"podcast-assets/trigger": "cli", **batch.run_tags()},
        run_config=_QUIET_RUN_CONFIG,
        raise_on_error=False,
    )


def _record_failure(
    summary: RefreshSummary,
    result: dg.ExecuteInProcessResult,
    keys: Sequence[str],
    plan: RefreshPlan,
    warehouse_path: Path,
    lock_timeout_s: float,
) -> None:
    """Rejections are expected failures; anything else is a failed run to report."""
    with warehouse.open_reader(warehouse_path, lock_timeout_s) as con:
        known = warehouse.rejections(con)
    names = {plan.files[k].name for k in keys if k in plan.files}
    rejected_here = {n: known[n][1] for n in names if n in known}
    summary.rejected.update(rejected_here)
    if not rejected_here:
        failure = next((e for e in result.all_events if e.event_type_value == "STEP_FAILURE"), None)
        message = failure.message if failure else "run failed"
        summary.failed_runs.append(f"{result.run_id}: {message}")
