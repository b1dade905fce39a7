"""Analysis views over the warehouse tables, created with the schema.

Views are plain SQL over the tables in `schema`; they hold no data, so they are always as
consistent as the tables they read (a reader sees every partition's old rows or its new ones).

Deduplication rules, shared by every view:

- Files with the same content (`episode_key`, `content_sha256`) are one file: only the first
  ingested (its *canonical* copy) is read, so a copy under a second name adds nothing.
- Files of one episode with different content (an enriched page and a transcript of it) are
  two views of the same audio: counts per episode take the larger of the files' counts instead
  of their sum, and quotes with the same normalized text are kept once.
- Episodes are counted as distinct `episode_key`s, never as files.
"""

from __future__ import annotations

from dataclasses import dataclass

from podcast_assets import sqlfiles
from podcast_assets.schema import MENTIONS, QUOTES
from podcast_assets.sqlfiles import sql_literal


@dataclass(frozen=True, slots=True)
class View:
    """A view: its SQL and grain from `sql/view_<name>.sql`, its columns' meanings here."""

    name: str
    columns: tuple[tuple[str, str], ...] = ()  # (column, meaning): COMMENT ON COLUMN

    @property
    def grain(self) -> str:
        """What one row is: the view's COMMENT, the README line and `sql --schema`."""
        return sqlfiles.load(f"view_{self.name}").summary

    @property
    def sql(self) -> str:
        """The SELECT behind the view, kept as SQL so it can be read and run on its own."""
        return sqlfiles.load(f"view_{self.name}").sql


_QUOTE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("episode_key", "The episode (see `episode_catalog`)."),
    ("show_name", "Show name."),
    ("episode_number", "Episode number within the show, when known."),
    ("title", "Episode title, when known."),
    ("published_at", "Publication time, when known."),
    ("quote", "The quote, once per episode even when several files of it carry it."),
    ("relevance_score", "1-10; NULL for analyser insights."),
    ("speaker", "Speaker, when known."),
    ("start_seconds", "Where the quote starts in the audio, when timestamped."),
    ("source", "heuristic, analyzer, analyzer_llm or analyzer_insight."),
    ("impact_reason", "Why it matters."),
    ("episode_id", "The file (partition) the kept copy of the quote came from."),
)


VIEWS: tuple[View, ...] = (
    # Building blocks of the views below, and useful on their own.
    View(
        name="canonical_files",
        columns=(
            (
                "episode_id",
                "The file (partition) read for this episode: its transcript of record, or its "
                "enriched page.",
            ),
            ("episode_key", "The episode it belongs to (see `episode_catalog`)."),
            ("source_format", "Its format."),
        ),
    ),
    View(
        name="resolved_mentions",
        columns=(
            *(
                (c.name, c.description)
                if c.name != "entity"
                else ("entity", "The canonical name: `entity_aliases.canonical`, else as written.")
                for c in MENTIONS.columns
            ),
            ("spelling", "The name as extraction wrote it (`mentions.entity`)."),
        ),
    ),
    View(
        name="distinct_quotes",
        columns=(
            *((c.name, c.description) for c in QUOTES.columns),
            ("episode_key", "The episode (see `episode_catalog`)."),
            ("norm_text", "The quote's words as compared: lower case, no punctuation."),
        ),
    ),
    View(
        name="episode_catalog",
        columns=(
            (
                "episode_key",
                "The episode's identity across files: `<show-slug>:<number>`, else "
                "`guid:<feed item guid>`, else `file:<file name without extension>`.",
            ),
            (
                "show_name",
                "Show name: the feed's, else the enriched page's, else the transcript's.",
            ),
            ("episode_number", "Episode number within the show, when known."),
            ("title", "Episode title (from the feed or the enriched page)."),
            ("published_at", "Publication time (from the feed or the enriched page)."),
            ("duration_seconds", "Longest duration any file of the episode states."),
            ("word_count", "Words in the episode's longest transcript; NULL without one."),
            ("host", "Host name: the feed's, else the enriched page's, else the transcript's."),
            (
                "guests",
                "Guest names from every file, sorted; spellings one letter apart are one guest "
                "(the enriched page's spelling wins).",
            ),
            ("summary", "The analyser's summary, when an enriched page exists."),
            ("tags", "The analyser's tags, sorted, without repeats."),
            ("source_formats", "Formats of the episode's files, e.g. [enriched_page, ...]."),
            ("episode_ids", "Every file (partition) of the episode, copies included."),
            ("source_files", "Their file names, in the same order as `episode_ids`."),
            ("distinct_files", "Files with distinct content (a renamed copy does not count)."),
            ("first_ingested_at", "When the first file of the episode was ingested."),
            (
                "record_episode_id",
                "The transcript of record: timed with speakers beats timed beats plain.",
            ),
            ("record_format", "Its source_format."),
        ),
    ),
    View(
        name="entity_leaderboard",
        columns=(
            ("entity", "Canonical entity name (gazetteer, then `entity_aliases`)."),
            ("label", "Most frequent entity type: PERSON, ORG, PRODUCT, ..."),
            ("category", "Most frequent domain category, when known."),
            ("episodes", "Distinct episodes (episode_key) that mention it."),
            (
                "mentions",
                "Mentions summed over episodes; per episode the larger count of its files, "
                "since an enriched page and a transcript of one episode describe the same audio.",
            ),
            ("first_seen", "Earliest episode time: published_at, else first ingested_at."),
            ("last_seen", "Latest episode time: published_at, else first ingested_at."),
            ("sources", "Extractors that found it: spacy, gazetteer, analyzer, analyzer_llm."),
            ("shows", "Shows whose episodes mention it."),
            ("episode_keys", "The episodes, oldest first."),
        ),
    ),
    View(
        name="topic_trends",
        columns=(
            ("topic", "Topic name."),
            (
                "month",
                "First day of the month (UTC) of the episodes' published_at, else of when they "
                "were first ingested (see `undated_episodes`).",
            ),
            ("episodes", "Distinct episodes that touched the topic that month."),
            (
                "mentions",
                "Keyword matches summed over those episodes (per episode, the larger count of "
                "its files).",
            ),
            ("avg_prominence", "Mean per-episode prominence (0-1)."),
            ("max_prominence", "Highest per-episode prominence (0-1)."),
            ("undated_episodes", "Episodes placed in the month by ingest time, not publication."),
            ("sources", "taxonomy and/or analyzer."),
            ("episode_keys", "The episodes, most prominent first."),
        ),
    ),
    View(
        name="quotes_by_entity",
        columns=(
            ("entity", "Canonical entity name (as in `mentions.entity`)."),
            *_QUOTE_COLUMNS[:-1],
            (
                "matched_by",
                "position (a mention of the entity lies inside the quote) or text (the quote "
                "contains its name or a surface form of it as a word).",
            ),
            _QUOTE_COLUMNS[-1],
        ),
    ),
    View(
        name="quotes_by_topic",
        columns=(
            ("topic", "Topic name, from the quote's `topics`."),
            (
                "topic_prominence",
                "The topic's prominence (0-1) in that episode; NULL when `topics` has no row.",
            ),
            *_QUOTE_COLUMNS,
        ),
    ),
    View(
        name="episode_timeline",
        columns=(
            ("episode_key", "The episode (see `episode_catalog`)."),
            ("minute", "0-based minute of the audio: floor(start_seconds / 60)."),
            ("clock", "The minute as h:mm:ss."),
            ("segments", "Transcript segments (cues) starting in the minute."),
            ("words", "Words in those segments."),
            ("speakers", "Speakers in the minute, when the format names them."),
            ("mentions", "Entity mentions in the minute."),
            ("top_entities", "Up to five entities mentioned most in the minute."),
            ("quotes", "Notable quotes starting in the minute."),
            ("top_quote", "The best-scored of them."),
            ("quote_topics", "Topics those quotes touch."),
            ("opening_text", "The minute's first 160 characters of transcript."),
            (
                "episode_id",
                "The file the timeline comes from: of an episode's timestamped files, the one "
                "with most timed segments (episodes without timestamps have no rows).",
            ),
        ),
    ),
)


def view_ddl(*, column_comments: bool = True) -> list[str]:
    """CREATE OR REPLACE and COMMENT statements for every view, in dependency order."""
    statements: list[str] = []
    for view in VIEWS:
        statements.append(f"CREATE OR REPLACE VIEW {view.name} AS {view.sql.strip()}")
        statements.append(f"COMMENT ON VIEW {view.name} IS {sql_literal(view.grain)}")
        if column_comments:
            statements.extend(
                f"COMMENT ON COLUMN {view.name}.{column} IS {sql_literal(meaning)}"
                for column, meaning in view.columns
            )
    return statements
