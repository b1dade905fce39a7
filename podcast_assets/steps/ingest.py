"""The ingest step: raw files to `episodes` and `segments` rows, written per partition.

Plain functions so that the Dagster asset, the benchmark and the tests run the same code.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from podcast_assets import warehouse
from podcast_assets.identity import episode_key
from podcast_assets.models import RawFile, Step
from podcast_assets.parsing import PARSER_VERSION, ParseError, parse_bytes
from podcast_assets.rawfiles import read_raw_file, sha256_file
from podcast_assets.schema import EPISODES, SEGMENTS

STEP = Step.INGEST
CODE_VERSION = PARSER_VERSION
TABLES = (EPISODES, SEGMENTS)
# Files per write transaction: large enough to amortise the connection, small enough that
# readers waiting on the lock never wait long.
FLUSH_EVERY = 100


@dataclass(frozen=True, slots=True)
class Rejection:
    episode_id: str
    source_file: str
    reason: str


@dataclass
class IngestReport:
    ingested: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=lambda: {t.name: 0 for t in TABLES})
    formats: dict[str, int] = field(default_factory=dict)


def episode_rows(
    episode_id: str, source_file: str, raw: bytes, ingested_at: datetime | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Parse one file into its `episodes` row and `segments` rows (raises ParseError)."""
    parsed = parse_bytes(raw, source_file)
    sha = hashlib.sha256(raw).hexdigest()
    identity = parsed.identity
    episode = {
        "episode_id": episode_id,
        "episode_key": episode_key(identity, sha),
        "show_name": identity.show,
        "episode_number": identity.episode_number,
        "title": parsed.title,
        "published_at": parsed.published_at,
        "duration_seconds": parsed.duration_seconds,
        "word_count": parsed.word_count,
        "source_format": str(parsed.source_format),
        "source_file": source_file,
        "content_sha256": sha,
        "encoding": parsed.encoding,
        "ingested_at": ingested_at or datetime.now(UTC),
        "summary": parsed.summary,
        "tags": list(parsed.tags),
        "host": identity.host,
        "guests": list(identity.guests),
        "front_matter": json.dumps(parsed.front_matter) if parsed.front_matter else None,
    }
    segments = [
        {
            "episode_id": episode_id,
            "seq": s.seq,
            "start_seconds": s.start_seconds,
            "end_seconds": s.end_seconds,
            "speaker": s.speaker,
            "char_start": s.char_start,
            "text": s.text,
        }
        for s in parsed.segments
    ]
    return {EPISODES.name: [episode], SEGMENTS.name: segments}


def ingest_files(
    warehouse_path: Path,
    files: Sequence[tuple[str, Path]],
    *,
    lock_timeout_s: float = warehouse.DEFAULT_LOCK_TIMEOUT_S,
    on_progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Ingest (episode_id, path) pairs; bad files are recorded and skipped, never fatal.

    Reads bytes at write time (not at planning time), so the recorded hash is always the
    hash of what was parsed.
    """
    report = IngestReport()
    writer = warehouse.BatchWriter(
        warehouse_path,
        STEP,
        CODE_VERSION,
        TABLES,
        every=FLUSH_EVERY,
        lock_timeout_s=lock_timeout_s,
    )
    for done, (episode_id, path) in enumerate(files, start=1):
        try:
            raw = read_raw_file(path)
        except (OSError, ParseError) as exc:
            reason = (
                str(exc)
                if isinstance(exc, ParseError)
                else f"{path.name}: could not be read ({exc.strerror or exc})"
            )
            sha = _identity_hash(path)
            _reject(warehouse_path, lock_timeout_s, report, episode_id, path.name, sha, reason)
            continue
        try:
            rows = episode_rows(episode_id, path.name, raw)
        except Exception as exc:  # a parser bug must cost one file, never the run
            reason = (
                str(exc)
                if isinstance(exc, ParseError)
                else (f"{path.name}: could not be parsed ({type(exc).__name__}: {exc})")
            )
            sha = hashlib.sha256(raw).hexdigest()
            _reject(warehouse_path, lock_timeout_s, report, episode_id, path.name, sha, reason)
            continue
        fmt = rows[EPISODES.name][0]["source_format"]
        report.formats[fmt] = report.formats.get(fmt, 0) + 1
        writer.add(
            warehouse.PartitionWrite(episode_id, rows[EPISODES.name][0]["content_sha256"], rows)
        )
        if on_progress:
            on_progress(done, len(files))
    writer.flush()
    report.rows = writer.rows
    report.ingested = writer.written
    return report


def _identity_hash(path: Path) -> str | None:
    """The hash planning knows this file by (None if it cannot even be examined)."""
    try:
        return sha256_file(path)
    except (OSError, ParseError):
        return None


def expected_rejections(files: Iterable[RawFile]) -> set[str]:
    """Episode ids of the files that the ingest step will reject (read and parsed now).

    Planning gives each of them a run of its own, so its failure names one file and never
    fails a run of good ones.
    """
    bad: set[str] = set()
    for raw_file in files:
        try:
            parse_bytes(read_raw_file(Path(raw_file.path)), raw_file.name)
        except Exception:  # whatever the ingest step will reject this file for
            bad.add(raw_file.episode_id)
    return bad


def _reject(
    warehouse_path: Path,
    lock_timeout_s: float,
    report: IngestReport,
    episode_id: str,
    source_file: str,
    sha: str | None,
    reason: str,
) -> None:
    with warehouse.open_writer(warehouse_path, lock_timeout_s) as con:
        warehouse.record_rejection(
            con, episode_id=episode_id, source_file=source_file, content_sha256=sha, reason=reason
        )
    report.rejected.append(Rejection(episode_id, source_file, reason))
