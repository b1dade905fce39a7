"""The warehouse's schema: tables, comments and views, applied when the declaration changes."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime

import duckdb

from podcast_assets import views
from podcast_assets.schema import TABLES, Table
from podcast_assets.sqlfiles import sql_literal


def schema_ddl(*, lake: bool = False) -> list[str]:
    """DDL for every table, its comments and the analysis views, in order.

    A DuckLake catalog keeps comments on tables, views and table columns but not on view
    columns; there `describe()` takes those from the declarations instead.
    """
    statements = [sql for table in TABLES for sql in table_ddl(table)]
    statements.extend(views.view_ddl(column_comments=not lake))
    return statements


def is_lake(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the connection's default catalog is a DuckLake (the other backend)."""
    rows = con.execute(
        "SELECT type FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    return bool(rows) and rows[0][0] == "ducklake"


def table_ddl(table: Table, create: str = "CREATE TABLE IF NOT EXISTS") -> list[str]:
    """One declared table and its comments (`create`: or "CREATE OR REPLACE TABLE")."""
    cols = ", ".join(f"{c.name} {c.type}{'' if c.nullable else ' NOT NULL'}" for c in table.columns)
    return [
        f"{create} {table.name} ({cols})",
        f"COMMENT ON TABLE {table.name} IS {sql_literal(table.comment)}",
        *(
            f"COMMENT ON COLUMN {table.name}.{c.name} IS {sql_literal(c.description)}"
            for c in table.columns
        ),
    ]


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


def _schema_hash(lake: bool) -> str:
    return hashlib.sha256("\n".join(schema_ddl(lake=lake)).encode()).hexdigest()[:16]


_SCHEMA_HASHES = {lake: _schema_hash(lake) for lake in (False, True)}


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create or update tables, comments and views when the declared schema changed."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_info (schema_hash VARCHAR, applied_at TIMESTAMPTZ)"
    )
    lake = is_lake(con)
    current = con.execute("SELECT schema_hash FROM schema_info").fetchall()
    if current and current[0][0] == _SCHEMA_HASHES[lake]:
        return
    with transaction(con):
        _add_missing_columns(con)
        for statement in schema_ddl(lake=lake):
            con.execute(statement)
        con.execute("DELETE FROM schema_info")
        con.execute(
            "INSERT INTO schema_info VALUES (?, ?)", [_SCHEMA_HASHES[lake], datetime.now(UTC)]
        )
        con.execute(
            "COMMENT ON TABLE schema_info IS 'One row: the hash of the schema this file has.'"
        )


def _add_missing_columns(con: duckdb.DuckDBPyConnection) -> None:
    """Columns declared since the warehouse was created, added to its existing tables.

    Added as nullable: old rows have no value until their partition is rewritten, which the
    parser version that introduced the column makes happen on the next refresh.
    """
    existing: dict[str, set[str]] = {}
    for table, column in con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() "
        "WHERE schema_name = 'main' AND database_name = current_database()"
    ).fetchall():
        existing.setdefault(table, set()).add(column)
    for table in TABLES:
        have = existing.get(table.name)
        if have is None:
            continue  # created by the CREATE TABLE that follows
        for c in table.columns:
            if c.name not in have:
                con.execute(f"ALTER TABLE {table.name} ADD COLUMN {c.name} {c.type}")
