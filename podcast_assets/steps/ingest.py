"""The ingest step: raw files to rows, written per partition.

An episode's file becomes its `episodes` row and `segments` rows; an RSS feed becomes its
`shows` row and `feed_items` rows. Feeds are written first, so the transcripts of the same
run already find their items; a feed that changes marks the episodes it names (before and
after the change) for re-ingestion, in the same transaction. Plain functions so that the
Dagster asset, the benchmark and the tests run the same code.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from podcast_assets import settings, warehouse
from podcast_assets.code_versions import INGEST_VERSION
from podcast_assets.feed_metadata import FeedIndex, ItemMetadata, feed_rows, item_stems
from podcast_assets.identity import episode_key, title_number
from podcast_assets.language import detect_language, installed_pipelines, pipeline_for
from podcast_assets.models import ParsedEpisode, RawFile, SourceFormat, Step
from podcast_assets.parsing import Feed, ParseError, looks_like_feed, parse_bytes
from podcast_assets.parsing.memo import PARSES
from podcast_assets.rawfiles import read_raw_file, read_raw_head, sha256_file
from podcast_assets.schema import EPISODES, FEED_ITEMS, SEGMENTS, SHOWS
from podcast_assets.settings import WarehouseTarget

STEP = Step.INGEST
CODE_VERSION = INGEST_VERSION
# In dependency order: Dagster wants a multi-asset's outputs in topological order.
TABLES = (SHOWS, FEED_ITEMS, EPISODES, SEGMENTS)
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
    warnings: list[str] = field(default_factory=list)


@dataclass
class Known:
    """What the warehouse already holds that a file's rows depend on.

    The feed items (metadata) and, per content hash, the episode a file with those bytes
    belongs to: a renamed copy is the same episode as its original, whatever its name.
    """

    feeds: FeedIndex = field(default_factory=lambda: FeedIndex([], {}))
    keys_by_content: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # Language -> installed spaCy pipeline, read from the settings once per call.
    pipelines: dict[str, str] | None = None

    def twin_key(self, sha: str, episode_id: str) -> str | None:
        """The key of another file with these bytes (never this partition's own old row)."""
        return next((k for i, k in self.keys_by_content.get(sha, ()) if i != episode_id), None)

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection) -> Known:
        return cls(
            FeedIndex.from_rows(warehouse.load_feed_items(con)),
            warehouse.episode_keys_by_content(con),
        )


def file_rows(
    episode_id: str,
    source_file: str,
    raw: bytes,
    known: Known | None = None,
    ingested_at: datetime | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Parse one file into the rows of its partition (raises ParseError).

    A parse this process's planning kept of these very bytes is used rather than parsed again.
    """
    sha = hashlib.sha256(raw).hexdigest()
    parsed = PARSES.take(sha, source_file) or parse_bytes(raw, source_file)
    now = ingested_at or datetime.now(UTC)
    if isinstance(parsed, Feed):
        return feed_rows(episode_id, source_file, sha, parsed, now)
    known = known if known is not None else Known()
    item = known.feeds.match(source_file)
    twin = known.twin_key(sha, episode_id)
    rows = episode_rows(episode_id, source_file, sha, parsed, item, now, twin, known.pipelines)
    known.keys_by_content.setdefault(sha, []).append(
        (episode_id, rows[EPISODES.name][0]["episode_key"])
    )
    return rows


def episode_rows(
    episode_id: str,
    source_file: str,
    sha: str,
    parsed: ParsedEpisode,
    item: ItemMetadata | None,
    ingested_at: datetime,
    twin_key: str | None = None,
    pipelines: Mapping[str, str] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """One episode file's `episodes` row and `segments` rows; a feed item's metadata wins.

    `twin_key` is the episode key of another file with the very same bytes, if any;
    `pipelines` maps languages to spaCy pipelines (default: the settings').
    """
    who = _metadata(parsed, item)
    episode = {
        "episode_id": episode_id,
        "episode_key": episode_key(
            who["show_name"],
            who["episode_number"],
            who["feed_guid"],
            source_file,
            twin_key,
            item.season if item else None,
        ),
        **who,
        "duration_seconds": parsed.duration_seconds or (item.duration_seconds if item else None),
        "word_count": parsed.word_count,
        "source_format": str(parsed.source_format),
        "source_file": source_file,
        "content_sha256": sha,
        "encoding": parsed.encoding,
        "ingested_at": ingested_at,
        "summary": parsed.summary,
        "tags": list(parsed.tags),
        "timed": bool(parsed.segments)
        and all(s.start_seconds is not None for s in parsed.segments),
        "speaker_count": len({s.speaker for s in parsed.segments if s.speaker}),
        "front_matter": json.dumps(parsed.front_matter) if parsed.front_matter else None,
        **_language(parsed, item, pipelines),
    }
    segments = [
        {
            "episode_id": episode_id,
            "seq": s.seq,
            "start_seconds": s.start_seconds,
            "end_seconds": s.end_seconds,
            "speaker": s.speaker,
            "speaker_role": s.speaker_role,
            "char_start": s.char_start,
            "text": s.text,
        }
        for s in parsed.segments
    ]
    return {EPISODES.name: [episode], SEGMENTS.name: segments}


def _language(
    parsed: ParsedEpisode, item: ItemMetadata | None, pipelines: Mapping[str, str] | None
) -> dict[str, Any]:
    """The transcript's language, from the feed, the file or the text, and the pipeline
    that extraction will run for it (decided here, so the row says what will run)."""
    feed_language = item.language if item else None
    declared = feed_language or parsed.declared_language
    # An analyser page has no transcript: its title and summary are in the episode's language.
    text = parsed.transcript or " ".join(filter(None, (parsed.title, parsed.summary)))
    guess = detect_language(text, declared)
    source: str = guess.method
    if source == "declared":
        source = "feed" if feed_language else "file"
    routes = installed_pipelines(settings.spacy_pipelines())[0] if pipelines is None else pipelines
    return {
        "language": guess.code,
        "language_confidence": round(guess.confidence, 3),
        "language_source": source,
        "ner_pipeline": pipeline_for(guess.code, routes),
    }


def _metadata(parsed: ParsedEpisode, item: ItemMetadata | None) -> dict[str, Any]:
    """Show, number, title, date and people: the feed item's, else the file's own."""
    identity = parsed.identity
    if item is None:
        return {
            "show_name": identity.show,
            "episode_number": identity.episode_number,
            "title": parsed.title,
            "published_at": parsed.published_at,
            "host": identity.host,
            "guests": list(identity.guests),
            "metadata_source": "front_matter" if parsed.front_matter else "transcript",
            "feed_guid": None,
        }
    number = item.episode_number if item.episode_number is not None else title_number(item.title)
    return {
        "show_name": item.show_name or identity.show,
        "episode_number": number if number is not None else identity.episode_number,
        "title": item.title or parsed.title,
        "published_at": item.published_at or parsed.published_at,
        "host": item.hosts[0] if item.hosts else identity.host,
        "guests": list(item.guests or identity.guests),
        "metadata_source": "feed",
        "feed_guid": item.guid,
    }


def ingest_files(
    warehouse_path: WarehouseTarget,
    files: Sequence[tuple[str, Path]],
    *,
    lock_timeout_s: float = warehouse.DEFAULT_LOCK_TIMEOUT_S,
    on_progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Ingest (episode_id, path) pairs; bad files are recorded and skipped, never fatal.

    Feeds first (their own flush), then every other file, matched against the feed items
    the warehouse holds by then. Reads bytes at write time (not at planning time), so the
    recorded hash is always the hash of what was parsed.
    """
    run = _IngestRun(warehouse_path, lock_timeout_s, len(files), on_progress)
    later: list[tuple[str, Path]] = []
    feeds = warehouse.BatchWriter(
        warehouse_path,
        STEP,
        CODE_VERSION,
        TABLES,
        every=FLUSH_EVERY,
        lock_timeout_s=lock_timeout_s,
        on_write=_mark_named_episodes_stale,
    )
    for episode_id, path in files:
        if _is_feed(path):
            raw = run.read(episode_id, path)
            if raw is not None:
                run.ingest(feeds, episode_id, path, raw, None)
        else:
            later.append((episode_id, path))
    feeds.flush()
    # A writer's connection: it creates the warehouse (and the feed tables) if need be.
    with warehouse.open_writer(warehouse_path, lock_timeout_s) as con:
        known = Known.read(con)
    known.pipelines, warnings = installed_pipelines(settings.spacy_pipelines())
    run.report.warnings.extend(warnings)
    episodes = warehouse.BatchWriter(
        warehouse_path, STEP, CODE_VERSION, TABLES, every=FLUSH_EVERY, lock_timeout_s=lock_timeout_s
    )
    for episode_id, path in later:
        raw = run.read(episode_id, path)
        if raw is not None:
            run.ingest(episodes, episode_id, path, raw, known)
    episodes.flush()
    for writer in (feeds, episodes):
        for name, n in writer.rows.items():
            run.report.rows[name] += n
        run.report.ingested.extend(writer.written)
    return run.report


@dataclass
class _IngestRun:
    """One call's reads, rejections and counts."""

    warehouse_path: WarehouseTarget
    lock_timeout_s: float
    total: int
    on_progress: Callable[[int, int], None] | None
    report: IngestReport = field(default_factory=IngestReport)
    done: int = 0

    def read(self, episode_id: str, path: Path) -> bytes | None:
        """The file's bytes, or None after recording why it cannot be read."""
        try:
            return read_raw_file(path)
        except (OSError, ParseError) as exc:
            reason = (
                str(exc)
                if isinstance(exc, ParseError)
                else f"{path.name}: could not be read ({exc.strerror or exc})"
            )
            self.reject(episode_id, path.name, _identity_hash(path), reason)
            return None

    def ingest(
        self,
        writer: warehouse.BatchWriter,
        episode_id: str,
        path: Path,
        raw: bytes,
        known: Known | None,
    ) -> None:
        try:
            rows = file_rows(episode_id, path.name, raw, known)
        except Exception as exc:  # a parser bug must cost one file, never the run
            reason = (
                str(exc)
                if isinstance(exc, ParseError)
                else (f"{path.name}: could not be parsed ({type(exc).__name__}: {exc})")
            )
            self.reject(episode_id, path.name, hashlib.sha256(raw).hexdigest(), reason)
            return
        if SHOWS.name in rows:
            fmt, sha = str(SourceFormat.RSS_FEED), rows[SHOWS.name][0]["content_sha256"]
        else:
            fmt = rows[EPISODES.name][0]["source_format"]
            sha = rows[EPISODES.name][0]["content_sha256"]
        self.report.formats[fmt] = self.report.formats.get(fmt, 0) + 1
        writer.add(warehouse.PartitionWrite(episode_id, sha, rows))
        self.done += 1
        if self.on_progress:
            self.on_progress(self.done, self.total)

    def reject(self, episode_id: str, source_file: str, sha: str | None, reason: str) -> None:
        with warehouse.open_writer(self.warehouse_path, self.lock_timeout_s) as con:
            warehouse.record_rejection(
                con,
                episode_id=episode_id,
                source_file=source_file,
                content_sha256=sha,
                reason=reason,
            )
        self.report.rejected.append(Rejection(episode_id, source_file, reason))
        self.done += 1


def _is_feed(path: Path) -> bool:
    """From the file's first bytes only; one that cannot be read is left to the second pass,
    which reads it whole and records why it was refused."""
    try:
        head = read_raw_head(path)
    except (OSError, ParseError):
        return False
    return looks_like_feed(head.decode("utf-8", "ignore").lstrip("\ufeff \t\r\n"))


def _mark_named_episodes_stale(
    con: duckdb.DuckDBPyConnection, writes: Sequence[warehouse.PartitionWrite]
) -> None:
    """Episodes whose feed metadata these feed writes may change are ingested again.

    Those the feeds name now (by file name or guid), and those that took their metadata
    from an item of these feeds or from an item no feed has any more.
    """
    items = [row for w in writes for row in w.rows.get(FEED_ITEMS.name, ())]
    names = sorted({n.casefold() for row in items for n in row["file_names"] or ()})
    stems = sorted({s for row in items for s in item_stems(row["guid"], row["file_names"] or ())})
    stale = [
        r[0]
        for r in con.execute(
            "SELECT episode_id FROM episodes WHERE list_contains(?, lower(source_file)) "
            "OR list_contains(?, regexp_replace(lower(source_file), '\\.[^.]*$', '')) "
            "OR feed_guid IN (SELECT guid FROM feed_items WHERE list_contains(?, feed_id)) "
            "OR (feed_guid IS NOT NULL AND feed_guid NOT IN (SELECT guid FROM feed_items))",
            [names, stems, [w.episode_id for w in writes]],
        ).fetchall()
    ]
    warehouse.mark_stale(con, STEP, stale)


def _identity_hash(path: Path) -> str | None:
    """The hash planning knows this file by (None if it cannot even be examined)."""
    try:
        return sha256_file(path)
    except (OSError, ParseError):
        return None


def expected_rejections(files: Iterable[RawFile], *, keep_parses: bool = False) -> set[str]:
    """Episode ids of the files that the ingest step will reject (read and parsed now).

    Planning gives each of them a run of its own, so its failure names one file and never
    fails a run of good ones. With `keep_parses` (the caller runs the ingest step in this
    process, and forgets what it does not take), good parses are kept for that step.
    """
    bad: set[str] = set()
    for raw_file in files:
        try:
            raw = read_raw_file(Path(raw_file.path))
            parsed = parse_bytes(raw, raw_file.name)
        except Exception:  # whatever the ingest step will reject this file for
            bad.add(raw_file.episode_id)
            continue
        if keep_parses:
            PARSES.keep(hashlib.sha256(raw).hexdigest(), raw_file.name, parsed, len(raw))
    return bad
