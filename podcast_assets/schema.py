"""The warehouse's tables, declared once.

This declaration is the single source for the DDL, the `COMMENT ON` text stored in the
warehouse, the Arrow schemas used for bulk inserts, the column schema shown on each Dagster
asset, and the README's table reference (a test keeps the README in step).
"""

from __future__ import annotations

from podcast_assets.columns import Column, Table

EPISODE_ID = Column(
    "episode_id",
    "VARCHAR",
    "Partition key: a stable slug of the raw file name (`ep.txt` -> `ep`, `ep.srt` -> `ep-srt`).",
    nullable=False,
)

EPISODES = Table(
    name="episodes",
    grain="One row per ingested raw file.",
    description=(
        "Files of the same episode (an enriched page and a transcript of it, or one "
        "transcript in several formats) share `episode_key`."
    ),
    columns=(
        EPISODE_ID,
        Column(
            "episode_key",
            "VARCHAR",
            "The episode's identity across files: `<show-slug>:<number>` when both are known "
            "(`<show-slug>:s<season>:<number>` from a feed's second season on), else "
            "`guid:<feed item guid>`, else the key of a file with the same bytes, else "
            "`file:<file name without extension>`.",
            nullable=False,
        ),
        Column(
            "show_name",
            "VARCHAR",
            "Show name, from metadata or the transcript's own words (`show` is a DuckDB keyword).",
        ),
        Column("episode_number", "INTEGER", "Episode number within the show, when known."),
        Column("title", "VARCHAR", "Episode title: the feed item's, or the enriched page's."),
        Column(
            "published_at",
            "TIMESTAMPTZ",
            "Publication time: the feed item's `pubDate`, or the enriched page's `date`.",
        ),
        Column(
            "duration_seconds",
            "DOUBLE",
            "Length in seconds: the page's `duration` (minutes), the last timestamp, or the "
            "feed's `itunes:duration`.",
        ),
        Column("language", "VARCHAR", "ISO 639 code of the transcript's language; NULL: unknown."),
        Column("language_confidence", "DOUBLE", "1.0 if declared, else the detector's 0-1."),
        Column("language_source", "VARCHAR", "feed, file (declared), detected or undetermined."),
        Column("ner_pipeline", "VARCHAR", "spaCy pipeline run for it; NULL: no statistical NER."),
        Column("word_count", "INTEGER", "Words in the transcript; NULL when there is none."),
        Column(
            "source_format",
            "VARCHAR",
            "enriched_page, plain_transcript, timestamped_transcript, webvtt, subrip, "
            "podcast_json or html_transcript.",
            nullable=False,
        ),
        Column("source_file", "VARCHAR", "File name inside the raw directory.", nullable=False),
        Column("content_sha256", "VARCHAR", "SHA-256 of the raw bytes.", nullable=False),
        Column("encoding", "VARCHAR", "Text encoding the bytes were decoded with.", nullable=False),
        Column("ingested_at", "TIMESTAMPTZ", "When this row was written.", nullable=False),
        Column("summary", "VARCHAR", "The analyser's summary (markdown), enriched pages only."),
        Column("tags", "VARCHAR[]", "The analyser's tags, enriched pages only."),
        Column(
            "host",
            "VARCHAR",
            "Host: the feed's `podcast:person` role host, else as the transcript says it.",
        ),
        Column(
            "guests",
            "VARCHAR[]",
            "Guests: the feed item's `podcast:person` role guest, else from the title or intro.",
        ),
        Column(
            "metadata_source",
            "VARCHAR",
            "Where show, number, title, date and people came from: feed, front_matter "
            "(enriched page) or transcript (its own words).",
            nullable=False,
        ),
        Column(
            "feed_guid",
            "VARCHAR",
            "The `feed_items.guid` this file was matched to (by file name or guid), if any.",
        ),
        Column("timed", "BOOLEAN", "Every segment has a start time (cues, stamps, <time>).", False),
        Column(
            "speaker_count",
            "INTEGER",
            "Distinct named speakers in the segments (0 when the format names none).",
            nullable=False,
        ),
        Column(
            "front_matter",
            "JSON",
            "The enriched page's whole YAML front matter (every analyser field), as JSON.",
        ),
    ),
)

SEGMENTS = Table(
    name="segments",
    grain="One row per transcript segment (line, cue or paragraph), in order.",
    description="The transcript text is the segments joined by newlines; offsets refer to it.",
    columns=(
        EPISODE_ID,
        Column("seq", "INTEGER", "0-based position of the segment in the episode.", False),
        Column("start_seconds", "DOUBLE", "Start time; NULL when the format has none."),
        Column("end_seconds", "DOUBLE", "End time; NULL when the format has none."),
        Column(
            "speaker",
            "VARCHAR",
            "Speaker: voice tag, `Name:` label, JSON `speaker` or HTML `<cite>`; NULL when "
            "unknown (`Unknown:` included).",
        ),
        Column("char_start", "INTEGER", "Offset of the segment in the transcript text.", False),
        Column("text", "VARCHAR", "The segment's text.", False),
        Column("speaker_role", "VARCHAR", "The label's role, lower case: `Ana (Host):` -> host."),
    ),
)

MENTIONS = Table(
    name="mentions",
    grain="One row per mention of a named entity in an episode.",
    description=(
        "From our spaCy pipeline and gazetteer for transcripts, or from the analyser's "
        "`companies` list for enriched pages; `source` says which."
    ),
    columns=(
        EPISODE_ID,
        Column("entity", "VARCHAR", "Canonical entity name (gazetteer-resolved).", False),
        Column("surface", "VARCHAR", "The text as it appears."),
        Column("label", "VARCHAR", "Entity type: PERSON, ORG, PRODUCT, GPE, EVENT, ..."),
        Column("category", "VARCHAR", "Domain category (e.g. ai_infrastructure), when known."),
        Column(
            "char_start",
            "INTEGER",
            "Start offset in the transcript; for analyser rows, the analyser's own `position`.",
        ),
        Column("char_end", "INTEGER", "End offset (exclusive) in the transcript."),
        Column("segment_seq", "INTEGER", "The segment containing the mention."),
        Column("start_seconds", "DOUBLE", "Start time of that segment, when timestamped."),
        Column(
            "speaker",
            "VARCHAR",
            "Speaker of that segment, when known; on a speaker row, the label itself.",
        ),
        Column("context", "VARCHAR", "A window of text around the mention."),
        Column(
            "confidence",
            "DOUBLE",
            "0-1; analyser labels map high=0.9, medium=0.6, low=0.3.",
        ),
        Column(
            "source",
            "VARCHAR",
            "spacy (model NER), gazetteer, proper_noun (capitalised mid-sentence, twice, never "
            "in lower case; camel case or a rare word once; a link's text or an acronym's long "
            "form whole), speaker (a speaker label), metadata (the feed's "
            "podcast:person, or the episode's host and guests), metadata_name (such a person's "
            "name or own first name, or the show's name, where the text says it and nothing "
            "else found it), analyzer (crude first pass) or analyzer_llm (LLM-enhanced). "
            "speaker and metadata rows are one per person and episode, with no offsets.",
            False,
        ),
        Column(
            "role",
            "VARCHAR",
            "For a person of the episode, on each of their rows: the feed's podcast:person role "
            "(host, guest, ...), host or guest as the episode names them, else the role its "
            "speaker label writes (`Name (co-host):`), else speaker for a speaker label. NULL "
            "for every other entity.",
        ),
    ),
)

QUOTES = Table(
    name="quotes",
    grain="One row per notable quote of an episode.",
    description=(
        "Top sentences scored by an explainable heuristic for transcripts; the analyser's "
        "quotes and insights for enriched pages."
    ),
    columns=(
        EPISODE_ID,
        Column("text", "VARCHAR", "The quote.", False),
        Column("relevance_score", "INTEGER", "1-10; NULL for analyser insights, which have none."),
        Column("start_seconds", "DOUBLE", "Start time of the quote, when timestamped."),
        Column("end_seconds", "DOUBLE", "End time of the quote, when timestamped."),
        Column("speaker", "VARCHAR", "Speaker, when known."),
        Column("topics", "VARCHAR[]", "Topics the quote touches."),
        Column(
            "source",
            "VARCHAR",
            "heuristic, analyzer, analyzer_llm or analyzer_insight.",
            False,
        ),
        Column("impact_reason", "VARCHAR", "Why it matters: the analyser's words, or our scoring."),
        Column("char_start", "INTEGER", "Start offset in the transcript, when from one."),
    ),
)

TOPICS = Table(
    name="topics",
    grain="One row per topic discussed in an episode.",
    description=(
        "For transcripts: the versioned taxonomy's topics (Apple Podcasts categories and their "
        "topics; English only) and up to 5 discovered keyphrases per episode; for enriched "
        "pages, the analyser's `topics`."
    ),
    columns=(
        EPISODE_ID,
        Column("topic", "VARCHAR", "Topic name from the taxonomy, or a keyphrase.", False),
        Column(
            "category",
            "VARCHAR",
            "The topic's Apple Podcasts category in the taxonomy (Technology, Business, ...); "
            "NULL for keyphrases and the analyser's topics.",
        ),
        Column(
            "mentions",
            "INTEGER",
            "How many keyword matches the topic had (a keyphrase: how often it was said).",
            False,
        ),
        Column("prominence", "DOUBLE", "0-1: min(1, mentions / 10), as the analyser computes it."),
        Column(
            "keywords",
            "VARCHAR[]",
            "The taxonomy keywords that matched (a keyphrase: its spellings).",
        ),
        Column(
            "source",
            "VARCHAR",
            "taxonomy, keyphrase (scored by frequency in the episode and rarity in the "
            "language), or analyzer.",
            False,
        ),
    ),
)

INGEST_ERRORS = Table(
    name="ingest_errors",
    grain="One row per raw file that was rejected.",
    description="A file leaves this table when a later refresh ingests it.",
    partitioned=False,
    columns=(
        Column("episode_id", "VARCHAR", "Partition key the file would have had."),
        Column("source_file", "VARCHAR", "File name inside the raw directory.", False),
        Column("content_sha256", "VARCHAR", "SHA-256 of the rejected bytes."),
        Column("reason", "VARCHAR", "Why it was rejected, naming the file.", False),
        Column("detected_at", "TIMESTAMPTZ", "When the rejection was recorded.", False),
    ),
)

PARTITION_STATE = Table(
    name="partition_state",
    grain="One row per partition and pipeline step (ingest, extract).",
    description=(
        "Written in the same transaction as the step's rows, so it always says what the "
        "warehouse holds; refresh plans from it."
    ),
    columns=(
        EPISODE_ID,
        Column("step", "VARCHAR", "ingest or extract.", False),
        Column("content_sha256", "VARCHAR", "SHA-256 of the raw file the rows came from.", False),
        Column("code_version", "VARCHAR", "Version of the step's logic that wrote them.", False),
        Column("updated_at", "TIMESTAMPTZ", "When the step last wrote this partition.", False),
    ),
)

REMOVALS = Table(
    name="removals",
    grain="One row per partition removed because its raw file disappeared.",
    description="Nothing vanishes silently: the rows deleted from each table are counted here.",
    partitioned=False,
    columns=(
        EPISODE_ID,
        Column("source_file", "VARCHAR", "The file that disappeared."),
        Column("content_sha256", "VARCHAR", "SHA-256 of the last ingested version."),
        Column("rows_deleted", "JSON", 'Rows deleted per table, e.g. {"segments": 120}.'),
        Column("removed_at", "TIMESTAMPTZ", "When the rows were deleted.", False),
    ),
)

ENTITY_ALIASES = Table(
    name="entity_aliases",
    grain="One row per spelling of an entity that is merged into another name across episodes.",
    description=(
        "Rebuilt by every extraction from all of `mentions` (model spans: same key, near-"
        "identical or sound-alike spellings of one label), in the transaction of its last "
        "mentions, and by every removal of a file's rows; the gazetteer's names always win. "
        "Views count mentions under `canonical`; to undo a merge, list the surface under "
        "`distinct` in the gazetteer."
    ),
    partitioned=False,
    columns=(
        Column("surface", "VARCHAR", "The spelling as `mentions.entity` has it.", False),
        Column("label", "VARCHAR", "Entity type the spelling was seen with."),
        Column("canonical", "VARCHAR", "The name it is counted under.", False),
        Column("method", "VARCHAR", "gazetteer, key, fuzzy, phonetic or override.", False),
        Column("score", "DOUBLE", "Similarity of the keys, 0-100 (100: exact).", False),
        Column("mentions", "INTEGER", "Mentions of the spelling with this label.", False),
    ),
)

FEED_ID = Column(
    "feed_id",
    "VARCHAR",
    "Partition key of the feed file: a stable slug of its name (like `episodes.episode_id`).",
    nullable=False,
)

SHOWS = Table(
    name="shows",
    grain="One row per RSS feed file in the raw directory.",
    description="The channel of the feed: what the show says about itself.",
    key="feed_id",
    columns=(
        FEED_ID,
        Column("title", "VARCHAR", "The show's name (the channel's <title>)."),
        Column("link", "VARCHAR", "The show's web page."),
        Column("language", "VARCHAR", "The channel's <language>, e.g. en-us."),
        Column("categories", "VARCHAR[]", "Its itunes:category list, e.g. [News > Tech News]."),
        Column("author", "VARCHAR", "itunes:author."),
        Column("description", "VARCHAR", "The channel's description, as plain text."),
        Column("image_url", "VARCHAR", "Cover art."),
        Column("podcast_guid", "VARCHAR", "podcast:guid, the show's global id."),
        Column("hosts", "VARCHAR[]", "Channel-level podcast:person names with role host."),
        Column("items", "INTEGER", "Items with a guid (rows in feed_items).", False),
        Column("problems", "VARCHAR[]", "Items or tags skipped, each with its reason."),
        Column("source_file", "VARCHAR", "File name inside the raw directory.", False),
        Column("content_sha256", "VARCHAR", "SHA-256 of the feed's bytes.", False),
        Column("ingested_at", "TIMESTAMPTZ", "When this row was written.", False),
    ),
)

FEED_ITEMS = Table(
    name="feed_items",
    grain="One row per <item> of a feed (per episode the show published).",
    description=(
        "Episodes take their metadata from here: a transcript file whose name is the file "
        "name of the item's transcript or enclosure URL, or whose stem is its guid."
    ),
    key="feed_id",
    columns=(
        FEED_ID,
        Column("guid", "VARCHAR", "The item's <guid>.", False),
        Column("position", "INTEGER", "0-based position of the item in the feed.", False),
        Column("show_name", "VARCHAR", "The feed's title."),
        Column("title", "VARCHAR", "The episode's title."),
        Column("published_at", "TIMESTAMPTZ", "pubDate."),
        Column("episode_number", "INTEGER", "itunes:episode (or podcast:episode)."),
        Column("season", "INTEGER", "itunes:season (or podcast:season)."),
        Column("duration_seconds", "DOUBLE", "itunes:duration in seconds."),
        Column("enclosure_url", "VARCHAR", "The audio file."),
        Column("link", "VARCHAR", "The episode's web page."),
        Column("description", "VARCHAR", "Show notes as plain text (at most 2,000 chars)."),
        Column(
            "transcripts",
            "JSON",
            'Every podcast:transcript: [{"url", "type", "language", "rel"}].',
        ),
        Column("persons", "JSON", 'Every podcast:person: [{"name", "role", "group", "href"}].'),
        Column(
            "hosts",
            "VARCHAR[]",
            "podcast:person names with role host (the item's, else the show's).",
        ),
        Column("guests", "VARCHAR[]", "podcast:person names with role guest."),
        Column(
            "file_names",
            "VARCHAR[]",
            "Names that identify this item's files: the file names of its transcript and "
            "enclosure URLs, and its guid (a file whose stem is the guid).",
        ),
    ),
)

EPISODE_TABLES: tuple[Table, ...] = (EPISODES, SEGMENTS, MENTIONS, QUOTES, TOPICS)
FEED_TABLES: tuple[Table, ...] = (SHOWS, FEED_ITEMS)
# Every table whose rows belong to one raw file's partition.
PARTITION_TABLES: tuple[Table, ...] = (*FEED_TABLES, *EPISODE_TABLES)
TABLES: tuple[Table, ...] = (
    *PARTITION_TABLES,
    INGEST_ERRORS,
    PARTITION_STATE,
    REMOVALS,
    ENTITY_ALIASES,
)
TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}
