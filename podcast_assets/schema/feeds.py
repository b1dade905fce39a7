"""`shows` and `feed_items`: what a show's RSS feed says about it and its episodes."""

from __future__ import annotations

from podcast_assets.columns import Column, Table

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
