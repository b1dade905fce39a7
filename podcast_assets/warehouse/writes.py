"""Every write: a partition's rows replaced in one transaction, rejections, removals."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from podcast_assets.models import Step
from podcast_assets.schema import (
    EPISODE_TABLES,
    FEED_TABLES,
    INGEST_ERRORS,
    PARTITION_STATE,
    PARTITION_TABLES,
    REMOVALS,
    Table,
)
from podcast_assets.warehouse.connection import (
    DEFAULT_LOCK_TIMEOUT_S,
    conflict_retried,
    open_writer,
)
from podcast_assets.warehouse.ddl import transaction


@dataclass(frozen=True, slots=True)
class PartitionWrite:
    """One partition's new rows for a step, replacing whatever the partition had."""

    episode_id: str
    content_sha256: str
    rows: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)


OnWrite = Callable[[duckdb.DuckDBPyConnection, Sequence[PartitionWrite]], None]
"""Runs inside a write's transaction, after its rows are in: what else must change with them."""


@conflict_retried("replacing partitions")
def replace_partitions(
    con: duckdb.DuckDBPyConnection,
    step: str,
    code_version: str,
    tables: Sequence[Table],
    writes: Sequence[PartitionWrite],
    on_write: OnWrite | None = None,
) -> dict[str, int]:
    """Replace the rows of `writes`' partitions in `tables`, in one transaction.

    Returns rows inserted per table. Ingest also clears the files' old rejections, since a
    file that parses is no longer rejected.
    """
    if not writes:
        return {t.name: 0 for t in tables}
    ids = [w.episode_id for w in writes]
    now = _now()
    inserted: dict[str, int] = {}
    with transaction(con):
        for table in tables:
            rows = [row for w in writes for row in w.rows.get(table.name, ())]
            con.execute(f"DELETE FROM {table.name} WHERE list_contains(?, {table.key})", [ids])
            inserted[table.name] = _insert(con, table, rows)
        con.execute(
            "DELETE FROM partition_state WHERE step = ? AND list_contains(?, episode_id)",
            [step, ids],
        )
        _insert(
            con,
            PARTITION_STATE,
            [
                {
                    "episode_id": w.episode_id,
                    "step": step,
                    "content_sha256": w.content_sha256,
                    "code_version": code_version,
                    "updated_at": now,
                }
                for w in writes
            ],
        )
        if step == Step.INGEST:
            con.execute("DELETE FROM ingest_errors WHERE list_contains(?, episode_id)", [ids])
        if on_write is not None:
            on_write(con, writes)
    return inserted


@conflict_retried("marking partitions stale")
def mark_stale(con: duckdb.DuckDBPyConnection, step: str, episode_ids: Sequence[str]) -> int:
    """Make the planner redo `step` for these partitions (their inputs changed elsewhere)."""
    if not episode_ids:
        return 0
    return _count(
        con.execute(
            "UPDATE partition_state SET code_version = code_version || '+stale' "
            "WHERE step = ? AND list_contains(?, episode_id) "
            "AND NOT ends_with(code_version, '+stale')",
            [step, list(episode_ids)],
        )
    )


class BatchWriter:
    """Buffers partition writes and replaces them `every` at a time, one transaction each.

    Both pipeline steps write through this: a flush holds the file for milliseconds, so
    readers waiting on the lock never wait long, and the connection cost is amortised. A full
    queue is written when the next write arrives, so the step's last batch always waits for
    `flush`, which runs `on_last` in that batch's transaction: what must change with the
    step's final rows (the extract step's `entity_aliases`) commits with them, never after.
    """

    def __init__(
        self,
        path: str | Path,
        step: str,
        code_version: str,
        tables: Sequence[Table],
        *,
        every: int,
        lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S,
        on_write: OnWrite | None = None,
        on_last: OnWrite | None = None,
    ) -> None:
        self._path = path
        self._step = step
        self._code_version = code_version
        self._tables = tables
        self._every = every
        self._lock_timeout_s = lock_timeout_s
        self._on_write = on_write
        self._on_last = on_last
        self._pending: list[PartitionWrite] = []
        self.rows: dict[str, int] = {t.name: 0 for t in tables}
        self.written: list[str] = []

    def add(self, write: PartitionWrite) -> bool:
        """Queue one partition, writing the queue first when it is full; returns True when
        this call wrote."""
        wrote = len(self._pending) >= self._every
        if wrote:
            self._write(self._on_write)
        self._pending.append(write)
        return wrote

    def flush(self) -> None:
        """Write what is queued and run `on_last` in the same transaction (in one of its own
        when nothing is queued); call once, after the last `add`."""
        if self._pending:
            self._write(_chain(self._on_write, self._on_last))
        elif self._on_last is not None:
            with open_writer(self._path, self._lock_timeout_s) as con:
                _run_alone(con, self._on_last)

    def _write(self, hook: OnWrite | None) -> None:
        with open_writer(self._path, self._lock_timeout_s) as con:
            counts = replace_partitions(
                con, self._step, self._code_version, self._tables, self._pending, hook
            )
        for name, n in counts.items():
            self.rows[name] += n
        self.written.extend(w.episode_id for w in self._pending)
        self._pending.clear()


def _chain(*hooks: OnWrite | None) -> OnWrite | None:
    """One hook that runs the given ones in order (None when none is given)."""
    given = [h for h in hooks if h is not None]
    if not given:
        return None

    def run(con: duckdb.DuckDBPyConnection, writes: Sequence[PartitionWrite]) -> None:
        for hook in given:
            hook(con, writes)

    return run


@conflict_retried("finishing a step")
def _run_alone(con: duckdb.DuckDBPyConnection, hook: OnWrite) -> None:
    """A step's last hook when none of its rows are left to write: in its own transaction."""
    with transaction(con):
        hook(con, ())


@conflict_retried("recording a rejection")
def record_rejection(
    con: duckdb.DuckDBPyConnection,
    *,
    episode_id: str | None,
    source_file: str,
    content_sha256: str | None,
    reason: str,
) -> None:
    """Record (or refresh) why a file was rejected; its earlier good rows stay untouched."""
    with transaction(con):
        con.execute("DELETE FROM ingest_errors WHERE source_file = ?", [source_file])
        _insert(
            con,
            INGEST_ERRORS,
            [
                {
                    "episode_id": episode_id,
                    "source_file": source_file,
                    "content_sha256": content_sha256,
                    "reason": reason,
                    "detected_at": _now(),
                }
            ],
        )


@conflict_retried("clearing rejections")
def clear_rejections(con: duckdb.DuckDBPyConnection, keep_files: Iterable[str]) -> int:
    """Forget rejections of files that are no longer in the raw directory."""
    keep = list(keep_files)
    return _count(
        con.execute("DELETE FROM ingest_errors WHERE NOT list_contains(?, source_file)", [keep])
    )


@conflict_retried("removing partitions")
def remove_partitions(
    con: duckdb.DuckDBPyConnection,
    episode_ids: Sequence[str],
    *,
    then: Callable[[duckdb.DuckDBPyConnection], object] | None = None,
) -> dict[str, dict[str, int]]:
    """Delete every row of these partitions and log what went in `removals`, atomically.

    `then` runs in the same transaction once the rows are gone (the extract step rebuilds
    the tables derived from every partition's rows), so no reader sees one without the other.
    """
    if not episode_ids:
        return {}
    now = _now()
    report: dict[str, dict[str, int]] = {}
    with transaction(con):
        files = dict(
            con.execute(
                "SELECT episode_id, struct_pack(source_file, content_sha256) FROM episodes "
                "WHERE list_contains(?, episode_id) UNION ALL "
                "SELECT feed_id, struct_pack(source_file, content_sha256) FROM shows "
                "WHERE list_contains(?, feed_id)",
                [list(episode_ids), list(episode_ids)],
            ).fetchall()
        )
        for episode_id in episode_ids:
            counts: dict[str, int] = {}
            for table in PARTITION_TABLES:
                counts[table.name] = _count(
                    con.execute(f"DELETE FROM {table.name} WHERE {table.key} = ?", [episode_id])
                )
            counts = _of_its_kind(counts)
            con.execute("DELETE FROM partition_state WHERE episode_id = ?", [episode_id])
            con.execute("DELETE FROM ingest_errors WHERE episode_id = ?", [episode_id])
            info = files.get(episode_id) or {}
            _insert(
                con,
                REMOVALS,
                [
                    {
                        "episode_id": episode_id,
                        "source_file": info.get("source_file"),
                        "content_sha256": info.get("content_sha256"),
                        "rows_deleted": json.dumps(counts, sort_keys=True),
                        "removed_at": now,
                    }
                ],
            )
            report[episode_id] = counts
        # Episodes that took their metadata from a removed feed's items take it again from
        # what is left (another feed, or their own words) on the next refresh.
        orphans = con.execute(
            "SELECT episode_id FROM episodes WHERE feed_guid IS NOT NULL "
            "AND feed_guid NOT IN (SELECT guid FROM feed_items)"
        ).fetchall()
        mark_stale(con, Step.INGEST, [r[0] for r in orphans])
        if then is not None:
            then(con)
    return report


@conflict_retried("replacing a table")
def replace_table(
    con: duckdb.DuckDBPyConnection, table: Table, rows: Sequence[Mapping[str, Any]]
) -> int:
    """A derived, unpartitioned table's rows replaced in one transaction."""
    with transaction(con):
        return replace_rows(con, table, rows)


def replace_rows(
    con: duckdb.DuckDBPyConnection, table: Table, rows: Sequence[Mapping[str, Any]]
) -> int:
    """A derived, unpartitioned table's rows replaced inside the caller's transaction (an
    `OnWrite` hook's, say), so that they commit with whatever else it writes."""
    con.execute(f"DELETE FROM {table.name}").fetchall()
    return _insert(con, table, rows)


def _of_its_kind(counts: dict[str, int]) -> dict[str, int]:
    """A feed's counts name the feed tables, an episode's the episode tables."""
    kind = FEED_TABLES if counts.get(FEED_TABLES[0].name) else EPISODE_TABLES
    return {t.name: counts[t.name] for t in kind}


def _insert(con: duckdb.DuckDBPyConnection, table: Table, rows: Sequence[Mapping[str, Any]]) -> int:
    """Bulk insert through Arrow: one statement per table, however many rows."""
    if not rows:
        return 0
    arrow = pa.Table.from_pylist(list(rows), schema=table.arrow_schema())
    con.register("_incoming", arrow)
    try:
        con.execute(f"INSERT INTO {table.name} BY NAME SELECT * FROM _incoming")
    finally:
        con.unregister("_incoming")
    return arrow.num_rows


def _count(result: duckdb.DuckDBPyConnection) -> int:
    """The single number a DELETE or count(*) returns (DuckDB 2 wants results drained)."""
    rows = result.fetchall()
    return int(rows[0][0]) if rows else 0


def _now() -> datetime:
    """Timestamps are stored in UTC (TIMESTAMPTZ), whatever the machine's zone."""
    return datetime.now(UTC)
