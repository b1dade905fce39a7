"""What a refresh must do, and in which runs: the one plan the CLI, sensor and schedule share.

Pure: files, partition states, rejections, the instance's partition order and the partitions
that unfinished runs own go in; the classification (`RefreshPlan`), the runs (`Batch`), run
keys and removals come out. No Dagster, no I/O: the adapters (`runner.py` for the CLI,
`defs/run_requests.py` for the sensor and the schedule) read the world and act on the plan.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from podcast_assets.models import PartitionState, RawFile, Step


class BatchKind(StrEnum):
    """What a run does to its partitions."""

    INGEST_AND_EXTRACT = "ingest+extract"
    # Expected to fail: runs alone so that its failure names exactly one file.
    EXPECTED_REJECTION = "ingest+extract (expected to be rejected)"
    EXTRACT_ONLY = "extract only"


@dataclass(frozen=True)
class RefreshPlan:
    """Partition keys by what must happen to them."""

    new: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    # Ingest code changed: both steps rerun.
    stale_ingest: tuple[str, ...] = ()
    # Only the extraction logic (or its gazetteer/taxonomy) changed, or extraction never ran.
    stale_extract: tuple[str, ...] = ()
    # Rejected before with these very bytes: not retried, still reported.
    known_rejected: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    files: Mapping[str, RawFile] = field(default_factory=dict)

    @property
    def to_ingest(self) -> tuple[str, ...]:
        return (*self.new, *self.changed, *self.stale_ingest)

    @property
    def to_extract_only(self) -> tuple[str, ...]:
        return self.stale_extract

    @property
    def has_work(self) -> bool:
        return bool(self.to_ingest or self.to_extract_only or self.removed)

    def without(self, busy: Collection[str]) -> RefreshPlan:
        """The same plan minus partitions that an unfinished run may still write."""

        def idle(keys: Iterable[str]) -> tuple[str, ...]:
            return tuple(k for k in keys if k not in busy)

        return replace(
            self,
            new=idle(self.new),
            changed=idle(self.changed),
            stale_ingest=idle(self.stale_ingest),
            stale_extract=idle(self.stale_extract),
        )


def plan_refresh(
    files: Sequence[RawFile],
    states: Mapping[str, Mapping[str, PartitionState]],
    rejected: Mapping[str, tuple[str | None, str]],
    *,
    ingest_version: str,
    extract_version: str,
) -> RefreshPlan:
    """Classify every file; partitions in the warehouse without a file are `removed`."""
    groups: dict[str, list[str]] = {
        name: []
        for name in ("new", "changed", "stale_ingest", "stale_extract", "known", "unchanged")
    }
    for f in files:
        groups[
            _classify(f, states.get(f.episode_id, {}), rejected, ingest_version, extract_version)
        ].append(f.episode_id)
    present = {f.episode_id for f in files}
    return RefreshPlan(
        new=tuple(groups["new"]),
        changed=tuple(groups["changed"]),
        stale_ingest=tuple(groups["stale_ingest"]),
        stale_extract=tuple(groups["stale_extract"]),
        known_rejected=tuple(groups["known"]),
        unchanged=tuple(groups["unchanged"]),
        removed=tuple(sorted(set(states) - present)),
        files={f.episode_id: f for f in files},
    )


def _classify(
    f: RawFile,
    state: Mapping[str, PartitionState],
    rejected: Mapping[str, tuple[str | None, str]],
    ingest_version: str,
    extract_version: str,
) -> str:
    ingest = state.get(Step.INGEST)
    extract = state.get(Step.EXTRACT)
    if rejected.get(f.name, (None, ""))[0] == f.content_sha256:
        return "known"
    if ingest is None:
        return "new"
    if ingest.content_sha256 != f.content_sha256:
        return "changed"
    if ingest.code_version != ingest_version:
        return "stale_ingest"
    if (
        extract is None
        or extract.content_sha256 != f.content_sha256
        or extract.code_version != extract_version
    ):
        return "stale_extract"
    return "unchanged"


def contiguous_ranges(keys: Iterable[str], order: Sequence[str]) -> list[tuple[str, str]]:
    """Group `keys` into as few [start, end] ranges of `order` as cover exactly them.

    Dagster runs a partition range in one run; dynamic partitions are ordered by when they
    were added, so new files (added together) form one range.
    """
    wanted = set(keys)
    ranges: list[tuple[str, str]] = []
    start: str | None = None
    previous: str | None = None
    for key in order:
        if key in wanted:
            if start is None:
                start = key
            previous = key
        elif start is not None and previous is not None:
            ranges.append((start, previous))
            start = None
    if start is not None and previous is not None:
        ranges.append((start, previous))
    return ranges


@dataclass(frozen=True)
class Batch:
    """One run: a contiguous range of partitions that need the same work."""

    kind: BatchKind
    keys: tuple[str, ...]

    @property
    def start(self) -> str:
        return self.keys[0]

    @property
    def end(self) -> str:
        return self.keys[-1]

    @property
    def partition_key(self) -> str | None:
        """The one partition of a single-partition run (else the run is a range)."""
        return self.keys[0] if len(self.keys) == 1 else None


def plan_batches(
    plan: RefreshPlan, order: Sequence[str], expected_rejections: Collection[str] = ()
) -> list[Batch]:
    """The runs that carry out `plan`, given the instance's partition order.

    Files that will be rejected run alone so that each failed run names one file; the rest run
    in as few ranges as the order allows.
    """
    bad = [k for k in plan.to_ingest if k in expected_rejections]
    good = [k for k in plan.to_ingest if k not in expected_rejections]
    position = {key: i for i, key in enumerate(order)}

    def ranges(keys: Sequence[str]) -> list[tuple[str, ...]]:
        return [
            tuple(order[position[start] : position[end] + 1])
            for start, end in contiguous_ranges(keys, order)
        ]

    return [
        *(Batch(BatchKind.EXPECTED_REJECTION, (k,)) for k in bad),
        *(Batch(BatchKind.INGEST_AND_EXTRACT, keys) for keys in ranges(good)),
        *(Batch(BatchKind.EXTRACT_ONLY, keys) for keys in ranges(plan.to_extract_only)),
    ]


def split_batches(batches: Iterable[Batch], n: int) -> list[Batch]:
    """Each batch of many partitions cut into up to `n` contiguous ranges of similar size.

    A file expected to be rejected keeps its run of its own (its failure names it).
    """
    out: list[Batch] = []
    for batch in batches:
        if batch.kind == BatchKind.EXPECTED_REJECTION or len(batch.keys) < 2 or n < 2:
            out.append(batch)
            continue
        size = math.ceil(len(batch.keys) / min(n, len(batch.keys)))
        out.extend(
            Batch(batch.kind, batch.keys[i : i + size]) for i in range(0, len(batch.keys), size)
        )
    return out


@dataclass(frozen=True)
class TickPlan:
    """What one sensor or schedule tick asks for."""

    plan: RefreshPlan
    states: Mapping[str, Mapping[str, PartitionState]]
    versions: tuple[str, str]  # (ingest, extract) code versions planned against
    register: tuple[str, ...]
    unregister: tuple[str, ...]
    batches: tuple[Batch, ...]
    prune: tuple[str, ...]
    busy: Mapping[str, str]  # partition -> id of the unfinished run that owns it
    refusals: tuple[str, ...]  # reasons of files that are not ingested (collisions, ...)

    def run_key(self, job_name: str, keys: Sequence[str], *, is_list: bool = False) -> str:
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
            "versions": list(self.versions),
        }
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]
        if len(keys) == 1:
            span = keys[0]
        elif is_list:  # a list of partitions, not a range
            span = f"{keys[0]}+{len(keys) - 1}"
        else:
            span = f"{keys[0]}..{keys[-1]}"
        return f"{job_name}:{span}@{digest}"

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
        if self.refusals:
            parts.append(f"{len(self.refusals)} skipped: {'; '.join(self.refusals)}")
        return "; ".join(parts)


def plan_tick(
    plan: RefreshPlan,
    states: Mapping[str, Mapping[str, PartitionState]],
    *,
    versions: tuple[str, str],
    registered: Sequence[str],
    busy: Mapping[str, str],
    vanished_rejections: Collection[str],
    refusals: Sequence[str],
    expected_rejections: Collection[str],
    unregister_removed: bool,
) -> TickPlan:
    """Turn a plan into a tick's partition changes, runs and removals.

    `vanished_rejections` are ids of rejected files that left the raw directory (their
    `ingest_errors` row is for `prune_job` to clear). `unregister_removed` says whether the
    caller deletes removed files' partitions before its runs start (a sensor can; a schedule
    cannot), which decides the partition order that batches are cut from.
    """
    present = set(plan.files)
    known = set(registered)
    register = tuple(k for k in plan.files if k not in known)
    unregister = tuple(k for k in registered if k not in present and k not in busy)
    prune = tuple(sorted((set(plan.removed) | set(vanished_rejections)) - present - set(busy)))
    dropped = set(unregister) if unregister_removed else set()
    order = [k for k in registered if k not in dropped] + list(register)
    return TickPlan(
        plan=plan,
        states=states,
        versions=versions,
        register=register,
        unregister=unregister,
        batches=tuple(plan_batches(plan.without(busy), order, expected_rejections)),
        prune=prune,
        busy={k: run_id for k, run_id in busy.items() if k in present or k in plan.removed},
        refusals=tuple(refusals),
    )


def _state(steps: Mapping[str, PartitionState]) -> list[list[str] | None]:
    return [
        [steps[s].content_sha256, steps[s].code_version] if s in steps else None
        for s in (Step.INGEST, Step.EXTRACT)
    ]
