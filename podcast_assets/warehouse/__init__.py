"""All reads and writes of the warehouse: a DuckDB file, or a DuckLake (`lake`).

Concurrency design, file: DuckDB lets one process write a file, or many read it, never both. So
writers hold the file only for the few milliseconds of one transaction (the NLP happens
before the connection opens) and readers open it read-only for one query; each side retries
with backoff while the other holds the lock, up to a bounded wait, then fails with a message
naming the cause. Every partition write is one transaction (delete the partition's rows,
bulk-insert the new ones from Arrow, record the partition's state), so a reader or a crash
sees the old rows or the new ones, never a mix.

Lake: a catalog in PostgreSQL takes many writers and readers at once, with snapshot isolation;
the same transactions apply, and a commit that conflicts with another writer's (conflicts are
per table, so two runs on different partitions can collide) is redone with backoff.

One module per job: `connection` (opening either backend, lock waits, conflicts, errors),
`lake` (attaching a DuckLake), `extensions` (packaged DuckDB extensions), `ddl` (schema,
comments, views, transactions), `writes` and `reads`. Import from this package; the split is
an implementation detail.
"""

from podcast_assets.models import PartitionState
from podcast_assets.warehouse.connection import (
    DEFAULT_LOCK_TIMEOUT_S,
    WarehouseConflictError,
    WarehouseLockedError,
    WarehouseMissingError,
    WarehouseVersionError,
    display,
    exists,
    is_lake,
    lake_location,
    open_reader,
    open_writer,
    retry_conflicts,
)
from podcast_assets.warehouse.ddl import ensure_schema, schema_ddl, transaction
from podcast_assets.warehouse.lake import LakeUnavailableError
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
    replace_rows,
    replace_table,
)

__all__ = [
    "DEFAULT_LOCK_TIMEOUT_S",
    "BatchWriter",
    "LakeUnavailableError",
    "PartitionState",
    "PartitionWrite",
    "WarehouseConflictError",
    "WarehouseLockedError",
    "WarehouseMissingError",
    "WarehouseVersionError",
    "clear_rejections",
    "describe",
    "display",
    "ensure_schema",
    "episode_keys_by_content",
    "exists",
    "is_lake",
    "lake_location",
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
    "replace_rows",
    "replace_table",
    "retry_conflicts",
    "schema_ddl",
    "transaction",
]
