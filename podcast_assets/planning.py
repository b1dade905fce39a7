"""What a refresh must do, decided from the raw directory and what the warehouse holds.

Pure: the CLI, the sensor and the schedule all plan with this one function, so "new",
"changed", "stale" and "unchanged" mean the same thing everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from podcast_assets.models import RawFile
from podcast_assets.warehouse import PartitionState


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


def plan_refresh(
    files: Sequence[RawFile],
    states: Mapping[str, Mapping[str, PartitionState]],
    rejected: Mapping[str, tuple[str | None, str]],
    *,
    ingest_version: str,
    extract_version: str,
) -> RefreshPlan:
    """Classify every file; partitions in the warehouse without a file are `removed`."""
    new: list[str] = []
    changed: list[str] = []
    stale_ingest: list[str] = []
    stale_extract: list[str] = []
    known_rejected: list[str] = []
    unchanged: list[str] = []
    for f in files:
        state = states.get(f.episode_id, {})
        ingest = state.get("ingest")
        extract = state.get("extract")
        rejected_sha = rejected.get(f.name, (None, ""))[0]
        if rejected_sha == f.content_sha256:
            known_rejected.append(f.episode_id)
        elif ingest is None:
            new.append(f.episode_id)
        elif ingest.content_sha256 != f.content_sha256:
            changed.append(f.episode_id)
        elif ingest.code_version != ingest_version:
            stale_ingest.append(f.episode_id)
        elif (
            extract is None
            or extract.content_sha256 != f.content_sha256
            or extract.code_version != extract_version
        ):
            stale_extract.append(f.episode_id)
        else:
            unchanged.append(f.episode_id)
    present = {f.episode_id for f in files}
    removed = sorted(set(states) - present)
    return RefreshPlan(
        new=tuple(new),
        changed=tuple(changed),
        stale_ingest=tuple(stale_ingest),
        stale_extract=tuple(stale_extract),
        known_rejected=tuple(known_rejected),
        unchanged=tuple(unchanged),
        removed=tuple(removed),
        files={f.episode_id: f for f in files},
    )


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
