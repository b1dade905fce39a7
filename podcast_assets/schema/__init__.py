"""The warehouse's tables, declared once: a module per family of tables, gathered here.

This declaration is the single source for the DDL, the `COMMENT ON` text stored in the
warehouse, the Arrow schemas used for bulk inserts, the column schema shown on each Dagster
asset, and the README's table reference (a test keeps the README in step).
"""

from __future__ import annotations

from podcast_assets.columns import Column, Table
from podcast_assets.schema.bookkeeping import INGEST_ERRORS, PARTITION_STATE, REMOVALS
from podcast_assets.schema.episodes import EPISODE_ID, EPISODES, SEGMENTS
from podcast_assets.schema.extraction import ENTITY_ALIASES, MENTIONS, QUOTES, TOPICS
from podcast_assets.schema.feeds import FEED_ID, FEED_ITEMS, SHOWS

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

__all__ = [
    "ENTITY_ALIASES",
    "EPISODES",
    "EPISODE_ID",
    "EPISODE_TABLES",
    "FEED_ID",
    "FEED_ITEMS",
    "FEED_TABLES",
    "INGEST_ERRORS",
    "MENTIONS",
    "PARTITION_STATE",
    "PARTITION_TABLES",
    "QUOTES",
    "REMOVALS",
    "SEGMENTS",
    "SHOWS",
    "TABLES",
    "TABLES_BY_NAME",
    "TOPICS",
    "Column",
    "Table",
]
