"""`episodes` and `segments`: what a transcript file is, and its text."""

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
