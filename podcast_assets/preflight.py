"""What a refresh must do, decided before Dagster or spaCy is imported.

Scanning the raw folder and comparing it with the warehouse needs neither: when nothing
changed, the refresh answers here in a fraction of the seconds those imports take, and never
opens the Dagster instance. Everything else goes on to the runner.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from podcast_assets import search_index as fts
from podcast_assets import warehouse
from podcast_assets.code_versions import EXTRACT_VERSION, INGEST_VERSION
from podcast_assets.failures import INTERRUPTED, Cause, ExitCode
from podcast_assets.models import RawFile
from podcast_assets.planning import RefreshPlan, plan_refresh
from podcast_assets.rawfiles import Refusal, scan_raw_dir
from podcast_assets.settings import WarehouseTarget


@dataclass
class RefreshSummary:
    files_seen: int = 0
    plan: RefreshPlan = field(default_factory=RefreshPlan)
    ingested: list[str] = field(default_factory=list)
    extracted: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)  # source_file -> reason
    removed: dict[str, dict[str, int]] = field(default_factory=dict)
    failed_runs: list[str] = field(default_factory=list)
    causes: list[Cause] = field(default_factory=list)
    recovered_runs: list[str] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)  # the refresh runs (not the index's)
    search_index: str = ""  # what happened to the search index, when something did
    seconds: float = 0.0

    @property
    def interrupted(self) -> bool:
        return INTERRUPTED in self.causes

    @property
    def exit_code(self) -> int:
        """The most serious outcome: interrupted, unavailable, failed, rejected, ok."""
        codes = [c.exit_code for c in self.causes]
        if self.rejected:
            codes.append(ExitCode.REJECTED)
        order = [ExitCode.INTERRUPTED, ExitCode.UNAVAILABLE, ExitCode.FAILED, ExitCode.REJECTED]
        return next((int(code) for code in order if code in codes), int(ExitCode.OK))

    def lines(self) -> list[str]:
        p = self.plan
        out = [
            f"files seen: {self.files_seen} (new {len(p.new)}, changed {len(p.changed)}, "
            f"stale {len(p.stale_ingest) + len(p.stale_extract)}, unchanged {len(p.unchanged)}, "
            f"removed {len(p.removed)})"
        ]
        out.extend(f"recovered: {line}" for line in self.recovered_runs)
        if not p.has_work and not self.failed_runs and not self.search_index:
            out.append(
                f"nothing to do: {len(p.unchanged)} files unchanged since the last refresh; "
                "no run launched"
            )
        else:
            # Read back from the warehouse, so they hold whatever happened to the runs.
            out.append(
                f"episodes written: {len(self.ingested)}; extracted: {len(self.extracted)}; "
                f"runs: {len(self.run_ids)} in {self.seconds:.1f} s"
            )
        for episode_id, counts in self.removed.items():
            out.append(f"removed {episode_id}: {sum(counts.values())} rows deleted ({counts})")
        if self.search_index:
            out.append(f"search index: {self.search_index}")
        out.append(f"files rejected: {len(self.rejected)}")
        out.extend(f"  - {reason}" for reason in self.rejected.values())
        out.extend(f"run failed: {message}" for message in self.failed_runs)
        if self.interrupted:
            out.append(
                "interrupted: the partitions written so far are kept; the next refresh redoes "
                "the rest"
            )
        return out


def plan_from(con: duckdb.DuckDBPyConnection, files: Sequence[RawFile]) -> RefreshPlan:
    """The plan for these files against what the warehouse holds, at today's code versions."""
    return plan_refresh(
        files,
        warehouse.partition_states(con),
        warehouse.rejections(con),
        ingest_version=INGEST_VERSION,
        extract_version=EXTRACT_VERSION,
    )


@dataclass(frozen=True)
class Scan:
    """The raw folder as the preflight saw it: its files (hashed) and the entries it refused.

    The CLI hands it to the runner, which would otherwise hash every file a second time
    (0.09 s per 300 files from the page cache). A file that changes after the scan is seen by
    the next refresh, as one that changes during a run is.
    """

    files: list[RawFile]
    refusals: list[Refusal]


def check(
    raw_dir: Path,
    warehouse_path: WarehouseTarget,
    lock_timeout_s: float,
    *,
    search_index: bool = True,
) -> tuple[Scan, RefreshSummary | None]:
    """Scan and plan; with it, the summary of a refresh with nothing to do, or None when there
    is something to do.

    Nothing to do: every file is in the warehouse at its current bytes and today's code (or
    was rejected before with these bytes), no file went away, none is refused at the scan, and
    every recorded rejection still has its file, and (with `search_index`) the search index
    needs no rebuild. Dagster's partitions then already match the files, since each of
    them was registered when it was first planned.
    """
    started = time.monotonic()
    files, refusals = scan_raw_dir(raw_dir)
    if not warehouse.exists(warehouse_path):
        return Scan(files, refusals), None
    with warehouse.open_reader(warehouse_path, lock_timeout_s) as con:
        plan = plan_from(con, files)
        scanned = Scan(files, refusals)
        if refusals or plan.has_work:
            return scanned, None
        rejected = warehouse.rejections(con)
        index_stale = search_index and fts.rebuild_reason(con) is not None
    if index_stale or not set(rejected) <= {f.name for f in files}:
        return scanned, None
    summary = RefreshSummary(files_seen=len(files), plan=plan)
    for episode_id in plan.known_rejected:
        name = plan.files[episode_id].name
        summary.rejected[name] = rejected[name][1]
    summary.seconds = time.monotonic() - started
    return scanned, summary


def settled(
    raw_dir: Path,
    warehouse_path: WarehouseTarget,
    lock_timeout_s: float,
    *,
    search_index: bool = True,
) -> RefreshSummary | None:
    """`check`'s summary alone: a refresh with nothing to do, or None."""
    return check(raw_dir, warehouse_path, lock_timeout_s, search_index=search_index)[1]
