"""The extract step: stored segments (or an analyser page) to mentions, quotes and topics.

One streaming extraction over every transcript of the batch, so that the pipeline's worker
processes start once per run; rows are written every few episodes, each partition
replaced in one transaction together with the others of its flush.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
from spacy.language import Language

from podcast_assets import warehouse
from podcast_assets.extraction import (
    EXTRACTOR_VERSION,
    Extraction,
    Transcript,
    extract_enriched,
    extract_transcripts,
    route,
)
from podcast_assets.extraction.aliases import NameCount, gazetteer_keys, resolve_aliases
from podcast_assets.extraction.gazetteer import Gazetteer, load_gazetteer
from podcast_assets.extraction.people import Person, listed_people
from podcast_assets.models import SourceFormat, Step
from podcast_assets.schema import ENTITY_ALIASES, MENTIONS, QUOTES, TOPICS
from podcast_assets.settings import WarehouseTarget

STEP = Step.EXTRACT
CODE_VERSION = EXTRACTOR_VERSION
TABLES = (MENTIONS, QUOTES, TOPICS)
# Episodes per read and per write transaction (each episode is ~1-2 s of NLP on one core).
CHUNK = 25


@dataclass
class ExtractReport:
    extracted: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=lambda: {t.name: 0 for t in TABLES})
    words: int = 0
    top_entities: dict[str, int] = field(default_factory=dict)
    top_topics: dict[str, int] = field(default_factory=dict)
    aliases: int = 0


def extract_partitions(
    warehouse_path: WarehouseTarget,
    episode_ids: Sequence[str],
    nlp: Language,
    *,
    n_process: int = 1,
    batch_size: int = 2,
    lock_timeout_s: float = warehouse.DEFAULT_LOCK_TIMEOUT_S,
    on_progress: Callable[[int, int], None] | None = None,
) -> ExtractReport:
    """Extract every given partition that `episodes` holds; ids it lacks are reported missing.

    `entity_aliases` is rebuilt from every mention in the transaction of the step's last
    batch, so no reader sees this step's mentions with the aliases of the ones before.
    """
    work = _ExtractRun(warehouse_path, episode_ids, lock_timeout_s, on_progress)
    for extraction in extract_transcripts(
        nlp, work.transcripts(), batch_size=batch_size, n_process=n_process
    ):
        work.add(extraction)
    work.writer.flush()
    work.report.rows = work.writer.rows
    work.report.extracted = work.writer.written
    return work.report


def entity_alias_rows(
    con: duckdb.DuckDBPyConnection, gazetteer: Gazetteer | None = None
) -> list[dict[str, Any]]:
    """`entity_aliases` from every mention, so spellings merge across episodes too; the
    gazetteer's names win and its `distinct` list forbids merges."""
    gazetteer = gazetteer or load_gazetteer()
    counts = {(e, label): n for e, label, n in warehouse.mention_name_counts(con)}
    aliases = resolve_aliases(
        [NameCount(e, label, n) for (e, label), n in counts.items()],
        gazetteer_keys(gazetteer),
        dict.fromkeys(gazetteer.distinct),
    )
    return [
        {
            "surface": a.surface,
            "label": a.label,
            "canonical": a.canonical,
            "method": a.method,
            "score": float(a.score),
            "mentions": counts.get((a.surface, a.label), 0),
        }
        for a in aliases
    ]


def remove_episodes(
    con: duckdb.DuckDBPyConnection, episode_ids: Sequence[str]
) -> dict[str, dict[str, int]]:
    """`warehouse.remove_partitions`, with `entity_aliases` rebuilt from the mentions left, in
    the same transaction: a removed episode's spellings stop merging (or counting) at once."""
    return warehouse.remove_partitions(
        con,
        episode_ids,
        then=lambda c: warehouse.replace_rows(c, ENTITY_ALIASES, entity_alias_rows(c)),
    )


@dataclass
class _ExtractRun:
    """One call's state: what was read, what is queued for writing, what to report."""

    warehouse_path: WarehouseTarget
    episode_ids: Sequence[str]
    lock_timeout_s: float
    on_progress: Callable[[int, int], None] | None
    report: ExtractReport = field(default_factory=ExtractReport)
    shas: dict[str, str] = field(default_factory=dict)
    writer: warehouse.BatchWriter = field(init=False)

    def __post_init__(self) -> None:
        self.writer = warehouse.BatchWriter(
            self.warehouse_path,
            STEP,
            CODE_VERSION,
            TABLES,
            every=CHUNK,
            lock_timeout_s=self.lock_timeout_s,
            on_last=self.write_aliases,
        )

    def write_aliases(
        self, con: duckdb.DuckDBPyConnection, _writes: Sequence[warehouse.PartitionWrite]
    ) -> None:
        """The writer's last hook: `entity_aliases` replaced with the step's last rows."""
        rows = entity_alias_rows(con)
        self.report.aliases = warehouse.replace_rows(con, ENTITY_ALIASES, rows)

    def add(self, extraction: Extraction) -> None:
        rows = {
            MENTIONS.name: extraction.mentions,
            QUOTES.name: extraction.quotes,
            TOPICS.name: extraction.topics,
        }
        report = self.report
        for m in extraction.mentions:
            report.top_entities[m["entity"]] = report.top_entities.get(m["entity"], 0) + 1
        for t in extraction.topics:
            report.top_topics[t["topic"]] = report.top_topics.get(t["topic"], 0) + t["mentions"]
        flushed = self.writer.add(
            warehouse.PartitionWrite(extraction.episode_id, self.shas[extraction.episode_id], rows)
        )
        if flushed and self.on_progress:
            self.on_progress(len(self.writer.written), len(self.episode_ids))

    def transcripts(self) -> Iterator[Transcript]:
        """Load a chunk at a time; analyser pages need no NLP and are handled on the way."""
        for start in range(0, len(self.episode_ids), CHUNK):
            chunk = list(self.episode_ids[start : start + CHUNK])
            with warehouse.open_reader(self.warehouse_path, self.lock_timeout_s) as con:
                episodes = warehouse.load_episodes(con, chunk)
                segments = warehouse.load_segments(
                    con,
                    [
                        i
                        for i in chunk
                        if i in episodes
                        and episodes[i]["source_format"] != SourceFormat.ENRICHED_PAGE
                    ],
                )
            for episode_id in chunk:
                info = episodes.get(episode_id)
                if info is None:
                    self.report.missing.append(episode_id)
                    continue
                self.shas[episode_id] = info["content_sha256"]
                if info["source_format"] == SourceFormat.RSS_FEED:
                    self.add(Extraction(episode_id, [], [], []))
                elif info["source_format"] == SourceFormat.ENRICHED_PAGE:
                    front_matter = info["front_matter"] or {}
                    self.add(extract_enriched(episode_id, front_matter, _listed_people(info)))
                else:
                    segs = segments.get(episode_id, [])
                    self.report.words += sum(len(s.text.split()) for s in segs)
                    language, pipeline = info["language"], info["ner_pipeline"]
                    how = route(language, pipeline)
                    people, show = _listed_people(info), info["show_name"]
                    categories = tuple(info["categories"])
                    yield Transcript(episode_id, segs, language, how, people, show, categories)


def _listed_people(info: Mapping[str, Any]) -> tuple[Person, ...]:
    """The feed item's podcast:person entries, then its hosts (the channel's when the item
    has none) and the episode's host and guests (the feed's, else its own words')."""
    hosts = [*info["feed_hosts"], *([info["host"]] if info["host"] else [])]
    persons = [p for p in info["persons"] if isinstance(p, Mapping)]
    return listed_people(persons, hosts, info["guests"])
