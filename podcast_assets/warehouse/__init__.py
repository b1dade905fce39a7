"""All reads and writes of the DuckDB warehouse file.

Concurrency design: DuckDB lets one process write a file, or many read it, never both. So
writers hold the file only for the few milliseconds of one transaction (the NLP happens
before the connection opens) and readers open it read-only for one query; each side retries
with backoff while the other holds the lock, up to a bounded wait, then fails with a message
naming the cause. Every partition write is one transaction (delete the partition's rows,
bulk-insert the new ones from Arrow, record the partition's state), so a reader or a crash
sees the old rows or the new ones, never a mix.

One module per job: `connection` (opening the file, lock waits, errors), `ddl` (schema,
comments, views, transactions), `writes` and `reads`. Import from this package; the split is
an implementation detail.
"""

from podcast_assets.models import PartitionState
from podcast_assets.warehouse.connection import (
    DEFAULT_LOCK_TIMEOUT_S,
    WarehouseLockedError,
    WarehouseMissingError,
    WarehouseVersionError,
    open_reader,
    open_writer,
)
from podcast_assets.warehouse.ddl import ensure_schema, schema_ddl, transaction
from podcast_assets.warehouse.reads import (
    describe,
    episode_keys_by_content,
    load_episodes,
    load_feed_items,
    load_segments,
    mention_name_counts,
    partition_states,
    rejections,
)
from podcast_assets.warehouse.writes import (
    BatchWriter,
    PartitionWrite,
    clear_rejections,
    mark_stale,
    record_rejection,
    remove_partitions,
    replace_partitions,
    replace_table,
)

__all__ = [
    "DEFAULT_LOCK_TIMEOUT_S",
    "BatchWriter",
    "PartitionState",
    "PartitionWrite",
    "WarehouseLockedError",
    "WarehouseMissingError",
    "WarehouseVersionError",
    "clear_rejections",
    "describe",
    "ensure_schema",
    "episode_keys_by_content",
    "load_episodes",
    "load_feed_items",
    "load_segments",
    "mark_stale",
    "mention_name_counts",
    "open_reader",
    "open_writer",
    "partition_states",
    "record_rejection",
    "rejections",
    "remove_partitions",
    "replace_partitions",
    "replace_table",
    "schema_ddl",
    "transaction",
]
