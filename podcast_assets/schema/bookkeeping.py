"""`ingest_errors`, `partition_state` and `removals`: what the refreshes did, and why."""

from __future__ import annotations

from podcast_assets.columns import Column, Table
from podcast_assets.schema.episodes import EPISODE_ID

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
