"""All reads and writes of the DuckDB warehouse file.

Concurrency design: DuckDB lets one process write a file, or many read it, never both. So
writers hold the file only for the few milliseconds of one transaction (the NLP happens
before the connection opens) and readers open it read-only for one query; each side retries
with backoff while the other holds the lock, up to a bounded wait, then fails with a message
naming the cause. Every partition write is one transaction (delete the partition's rows,
bulk-insert the new ones from Arrow, record the partition's state), so a reader or a crash
sees the old rows or the new ones, never a mix.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import random
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from podcast_assets import views
from podcast_assets.models import Segment
from podcast_assets.schema import (
    EPISODE_TABLES,
    INGEST_ERRORS,
    PARTITION_STATE,
    REMOVALS,
    TABLES,
    TABLES_BY_NAME,
    Table,
)

DEFAULT_LOCK_TIMEOUT_S = 120.0
_MAX_RETRY_DELAY_S = 0.1
_LOCK_MARKERS = ("could not set lock", "conflicting lock")
_WAIT_NOTICE_EVERY_S = 5.0
_log = logging.getLogger(__name__)


class WarehouseLockedError(RuntimeError):
    """Another process held the warehouse longer than we were willing to wait."""


class WarehouseMissingError(FileNotFoundError):
    """A read was asked of a warehouse that no refresh has created yet."""


@dataclass(frozen=True, slots=True)
class PartitionWrite:
    """One partition's new rows for a step, replacing whatever the partition had."""

    episode_id: str
    content_sha256: str
    rows: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PartitionState:
    content_sha256: str
    code_version: str


# --- connections ------------------------------------------------------------------------


@contextlib.contextmanager
def open_writer(
    path: str | Path, lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection with the schema in place, held only for the `with` block."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = _connect(str(path), read_only=False, lock_timeout_s=lock_timeout_s)
    try:
        ensure_schema(con)
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def open_reader(
    path: str | Path,
    lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S,
    *,
    config: Mapping[str, Any] | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection: a stray DELETE fails instead of writing.

    `config` adds DuckDB settings at connect time (ad hoc queries lock external access off).
    """
    if not Path(path).exists():
        raise WarehouseMissingError(
            f"no warehouse at {path}: run `podcast-assets refresh` (or `make run`) first"
        )
    con = _connect(str(path), read_only=True, lock_timeout_s=lock_timeout_s, config=config)
    try:
        yield con
    finally:
        con.close()


def _connect(
    path: str,
    *,
    read_only: bool,
    lock_timeout_s: float,
    config: Mapping[str, Any] | None = None,
) -> duckdb.DuckDBPyConnection:
    started = time.monotonic()
    deadline = started + lock_timeout_s
    next_notice = started + _WAIT_NOTICE_EVERY_S
    delay = 0.01
    while True:
        try:
            return duckdb.connect(path, read_only=read_only, config=dict(config or {}))
        except duckdb.IOException as exc:
            message = str(exc)
            if not any(marker in message.lower() for marker in _LOCK_MARKERS):
                raise
            holder = message.split(". See also")[0]
            now = time.monotonic()
            if now + delay > deadline:
                mode = "read" if read_only else "write"
                raise WarehouseLockedError(
                    f"could not open {path} to {mode} within {lock_timeout_s:g}s because another "
                    f"process holds it ({holder}). Close that session "
                    "(a DuckDB CLI or notebook) or raise PODCAST_LOCK_TIMEOUT."
                ) from exc
            if now >= next_notice:
                # Never wait silently: whoever runs this sees what it waits for, and how long.
                _log.warning(
                    "waiting for %s, held by another process (%s): %.0f s of %g s",
                    path,
                    holder,
                    now - started,
                    lock_timeout_s,
                )
                next_notice = now + _WAIT_NOTICE_EVERY_S
            # Short, jittered waits: the other side holds the file for milliseconds, and a
            # fixed schedule would let a polling reader starve a writer (or the reverse).
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, _MAX_RETRY_DELAY_S)


# --- schema -----------------------------------------------------------------------------


def schema_ddl() -> list[str]:
    """DDL for every table, its comments and the analysis views, in order."""
    statements: list[str] = []
    for table in TABLES:
        cols = ", ".join(
            f"{c.name} {c.type}{'' if c.nullable else ' NOT NULL'}" for c in table.columns
        )
        statements.append(f"CREATE TABLE IF NOT EXISTS {table.name} ({cols})")
        statements.append(f"COMMENT ON TABLE {table.name} IS {_sql_literal(table.comment)}")
        for c in table.columns:
            statements.append(
                f"COMMENT ON COLUMN {table.name}.{c.name} IS {_sql_literal(c.description)}"
            )
    statements.extend(views.view_ddl())
    return statements


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """BEGIN ... COMMIT, or ROLLBACK on any error, re-raising the error that caused it.

    A failed ROLLBACK (DuckDB has often aborted the transaction itself, e.g. on a full disk)
    must not replace the real cause with "cannot rollback - no transaction is active".
    """
    con.execute("BEGIN")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise


def _sql_literal(text: str) -> str:
    # DDL cannot take parameters; these strings are our own constants, never user input.
    return "'" + text.replace("'", "''") + "'"


_SCHEMA_HASH = hashlib.sha256("\n".join(schema_ddl()).encode()).hexdigest()[:16]


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create or update tables, comments and views when the declared schema changed."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_info (schema_hash VARCHAR, applied_at TIMESTAMPTZ)"
    )
    current = con.execute("SELECT schema_hash FROM schema_info").fetchall()
    if current and current[0][0] == _SCHEMA_HASH:
        return
    with transaction(con):
        for statement in schema_ddl():
            con.execute(statement)
        con.execute("DELETE FROM schema_info")
        con.execute("INSERT INTO schema_info VALUES (?, ?)", [_SCHEMA_HASH, _now()])
        con.execute(
            "COMMENT ON TABLE schema_info IS 'One row: the hash of the schema this file has.'"
        )


# --- writes -----------------------------------------------------------------------------


def replace_partitions(
    con: duckdb.DuckDBPyConnection,
    step: str,
    code_version: str,
    tables: Sequence[Table],
    writes: Sequence[PartitionWrite],
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
            con.execute(f"DELETE FROM {table.name} WHERE list_contains(?, episode_id)", [ids])
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
        if step == "ingest":
            con.execute("DELETE FROM ingest_errors WHERE list_contains(?, episode_id)", [ids])
    return inserted


class BatchWriter:
    """Buffers partition writes and replaces them `every` at a time, one transaction each.

    Both pipeline steps write through this: a flush holds the file for milliseconds, so
    readers waiting on the lock never wait long, and the connection cost is amortised.
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
    ) -> None:
        self._path = path
        self._step = step
        self._code_version = code_version
        self._tables = tables
        self._every = every
        self._lock_timeout_s = lock_timeout_s
        self._pending: list[PartitionWrite] = []
        self.rows: dict[str, int] = {t.name: 0 for t in tables}
        self.written: list[str] = []

    def add(self, write: PartitionWrite) -> bool:
        """Queue one partition; returns True when this call flushed."""
        self._pending.append(write)
        if len(self._pending) >= self._every:
            self.flush()
            return True
        return False

    def flush(self) -> None:
        if not self._pending:
            return
        with open_writer(self._path, self._lock_timeout_s) as con:
            counts = replace_partitions(
                con, self._step, self._code_version, self._tables, self._pending
            )
        for name, n in counts.items():
            self.rows[name] += n
        self.written.extend(w.episode_id for w in self._pending)
        self._pending.clear()


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


def clear_rejections(con: duckdb.DuckDBPyConnection, keep_files: Iterable[str]) -> int:
    """Forget rejections of files that are no longer in the raw directory."""
    keep = list(keep_files)
    return _count(
        con.execute("DELETE FROM ingest_errors WHERE NOT list_contains(?, source_file)", [keep])
    )


def remove_partitions(
    con: duckdb.DuckDBPyConnection, episode_ids: Sequence[str]
) -> dict[str, dict[str, int]]:
    """Delete every row of these partitions and log what went in `removals`, atomically."""
    if not episode_ids:
        return {}
    now = _now()
    report: dict[str, dict[str, int]] = {}
    with transaction(con):
        files = dict(
            con.execute(
                "SELECT episode_id, struct_pack(source_file, content_sha256) FROM episodes "
                "WHERE list_contains(?, episode_id)",
                [list(episode_ids)],
            ).fetchall()
        )
        for episode_id in episode_ids:
            counts: dict[str, int] = {}
            for table in EPISODE_TABLES:
                counts[table.name] = _count(
                    con.execute(f"DELETE FROM {table.name} WHERE episode_id = ?", [episode_id])
                )
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
    return report


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
    return datetime.now(UTC)


# --- reads ------------------------------------------------------------------------------


def partition_states(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, PartitionState]]:
    """What each partition holds, per step: the planner's source of truth."""
    out: dict[str, dict[str, PartitionState]] = {}
    for episode_id, step, sha, version in con.execute(
        "SELECT episode_id, step, content_sha256, code_version FROM partition_state"
    ).fetchall():
        out.setdefault(episode_id, {})[step] = PartitionState(sha, version)
    return out


def rejections(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str | None, str]]:
    """source_file -> (content_sha256, reason) of every recorded rejection."""
    return {
        name: (sha, reason)
        for name, sha, reason in con.execute(
            "SELECT source_file, content_sha256, reason FROM ingest_errors"
        ).fetchall()
    }


def load_segments(
    con: duckdb.DuckDBPyConnection, episode_ids: Sequence[str]
) -> dict[str, list[Segment]]:
    """The stored transcript segments of these partitions, in order."""
    out: dict[str, list[Segment]] = {episode_id: [] for episode_id in episode_ids}
    rows = con.execute(
        "SELECT episode_id, seq, text, char_start, start_seconds, end_seconds, speaker "
        "FROM segments WHERE list_contains(?, episode_id) ORDER BY episode_id, seq",
        [list(episode_ids)],
    ).fetchall()
    for episode_id, seq, text, char_start, start, end, speaker in rows:
        out[episode_id].append(Segment(seq, text, char_start, start, end, speaker))
    return out


def load_episodes(
    con: duckdb.DuckDBPyConnection, episode_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """episode_id -> {source_format, content_sha256, front_matter (parsed JSON or None)}."""
    rows = con.execute(
        "SELECT episode_id, source_format, content_sha256, front_matter FROM episodes "
        "WHERE list_contains(?, episode_id)",
        [list(episode_ids)],
    ).fetchall()
    return {
        episode_id: {
            "source_format": fmt,
            "content_sha256": sha,
            "front_matter": json.loads(fm) if fm else None,
        }
        for episode_id, fmt, sha, fm in rows
    }


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {t.name: _count(con.execute(f"SELECT count(*) FROM {t.name}")) for t in TABLES}


def describe(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, str]]:
    """(table, column, type, comment) for every table and view, from the file's own catalog.

    Each table or view first gets a row with an empty column whose comment is its grain.
    """
    return [
        tuple(row)  # type: ignore[misc]
        for row in con.execute(
            """
            SELECT name, column_name, data_type, comment FROM (
                SELECT table_name AS name, '' AS column_name, 'TABLE' AS data_type,
                       coalesce(comment, '') AS comment, -1 AS position
                FROM duckdb_tables() WHERE schema_name = 'main'
                UNION ALL
                SELECT view_name, '', 'VIEW', coalesce(comment, ''), -1
                FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal
                UNION ALL
                SELECT table_name, column_name, data_type, coalesce(comment, ''), column_index
                FROM duckdb_columns() WHERE schema_name = 'main'
            )
            ORDER BY name, position
            """
        ).fetchall()
    ]


def table(name: str) -> Table:
    return TABLES_BY_NAME[name]
