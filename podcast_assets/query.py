"""The ad hoc query path of `podcast-assets sql`: one read statement, on a sealed connection.

Two walls, so a statement that slips past one is still stopped by the other:

1. `run_query` parses the text with DuckDB's own parser and runs it only if it is exactly one
   statement of a read type (SELECT, which covers DESCRIBE / SHOW / SUMMARIZE; EXPLAIN of a
   SELECT; a few catalog PRAGMAs). Every write, setting, extension, ATTACH, COPY or EXPORT is
   refused before it runs, with a message saying what to do instead.
2. `open_query_connection` opens the warehouse read-only with external access off and the
   configuration locked (no SET can undo that). This is what stops a SELECT from reading
   other files (`read_text`, `read_csv`, `glob` are SELECTs), and on its own it stops every
   attack the first wall does from writing or reading anything but the warehouse.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import duckdb

from podcast_assets import search, warehouse
from podcast_assets.sqlfiles import sql_literal

ST = duckdb.StatementType

# Accepted by duckdb.connect(config=...) in DuckDB 2.0.1; the analysis views still work.
QUERY_CONFIG: Final[Mapping[str, Any]] = MappingProxyType(
    {"enable_external_access": False, "lock_configuration": True}
)

# PRAGMAs that only read the catalog. The PRAGMA statement type alone says nothing: DuckDB
# also parses IMPORT DATABASE, COPY FROM DATABASE and `PRAGMA enable_profiling` as PRAGMA.
READ_PRAGMAS: Final[frozenset[str]] = frozenset(
    {"table_info", "show_tables", "show_tables_expanded", "database_list", "version"}
)

_NEVER_WRITES = (
    "`podcast-assets sql` never writes: the warehouse is built by `podcast-assets refresh`"
)
_ONLY_WAREHOUSE = (
    "`podcast-assets sql` reads only the warehouse, never other files, the network or extensions"
)
_NO_FILES = f"{_ONLY_WAREHOUSE}; to write the tables out, use `podcast-assets export OUT_DIR`"
_FIXED_SETTINGS = (
    "the settings of `podcast-assets sql` are fixed (read-only warehouse, no file or network "
    "access) and cannot be changed"
)
_ALLOWED = "run one SELECT (or WITH, FROM, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN) per call"

# Statements whose DuckDB type would give a misleading reason (IMPORT DATABASE is a PRAGMA,
# CHECKPOINT a CALL, DEALLOCATE a DROP), by leading keyword(s).
_VERB_REFUSALS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "IMPORT": f"reads files into the warehouse: {_NO_FILES}",
        "COPY": f"copies between databases: {_NO_FILES}",
        "CHECKPOINT": f"writes: {_NEVER_WRITES}",
        "FORCE CHECKPOINT": f"writes: {_NEVER_WRITES}",
        "DEALLOCATE": f"is not needed: each query runs alone, read-only; {_ALLOWED}",
    }
)

# Why each refused statement type is refused, and what to do instead.
_REFUSALS: Final[Mapping[duckdb.StatementType, str]] = MappingProxyType(
    {
        ST.COPY: f"moves data between the warehouse and files: {_NO_FILES}",
        ST.EXPORT: f"writes files: {_NO_FILES}",
        ST.COPY_DATABASE: f"writes: {_NEVER_WRITES}",
        ST.ATTACH: f"opens another database: {_NO_FILES}",
        ST.DETACH: f"closes a database: {_NO_FILES}",
        ST.SET: f"changes a setting: {_FIXED_SETTINGS}",
        ST.VARIABLE_SET: f"changes a setting: {_FIXED_SETTINGS}",
        ST.LOAD: f"installs or loads an extension: {_ONLY_WAREHOUSE}",
        ST.EXTENSION: f"runs an extension's statement: {_ONLY_WAREHOUSE}",
        ST.CALL: "runs a procedure; for a table function that reads, write "
        "`SELECT * FROM name(...)`",
        ST.PRAGMA: "is not one of the read-only pragmas "
        f"({', '.join(sorted(READ_PRAGMAS))}); use DESCRIBE t, SHOW TABLES or "
        "`SELECT * FROM pragma_table_info('t')`",
        ST.MULTI: "needs several statements (a PIVOT without an IN list): list the values, "
        "`PIVOT t ON c IN ('a', 'b') USING count(*)`",
        ST.TRANSACTION: f"is not needed: each query runs alone, read-only; {_ALLOWED}",
        ST.PREPARE: f"is not needed: each query runs alone, read-only; {_ALLOWED}",
        ST.EXECUTE: f"is not needed: each query runs alone, read-only; {_ALLOWED}",
        **{
            kind: f"writes: {_NEVER_WRITES}"
            for kind in (
                ST.CREATE,
                ST.CREATE_FUNC,
                ST.INSERT,
                ST.UPDATE,
                ST.DELETE,
                ST.MERGE_INTO,
                ST.DROP,
                ST.ALTER,
                ST.VACUUM,
                ST.ANALYZE,
            )
        },
    }
)


class QueryRefused(ValueError):
    """A query `podcast-assets sql` will not run; the message says why and what instead."""


@contextlib.contextmanager
def open_query_connection(
    path: str | Path, lock_timeout_s: float = warehouse.DEFAULT_LOCK_TIMEOUT_S
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse read-only, fts loaded, then external access off and the settings locked.

    The second wall: even a statement `run_query` let through cannot write, read another
    file, load an extension or change a setting. Lock waits and a missing file behave as for
    every reader (`WarehouseLockedError`, `WarehouseMissingError`).
    """
    with warehouse.open_reader(path, lock_timeout_s, private=True) as con:
        # The fts extension first, so that `search_segments(...)` works; then the seal, which
        # DuckDB lets a session tighten but never loosen.
        with contextlib.suppress(search.SearchUnavailableError):
            search.load_fts(con)
        if warehouse.is_lake(path):
            # A lake's tables are Parquet files: the one folder the seal still lets it read.
            data = warehouse.lake_location(path).data_path
            con.execute(f"SET allowed_directories = [{sql_literal(data)}]")
        for setting, value in QUERY_CONFIG.items():
            con.execute(f"SET {setting} = {str(value).lower()}")
        # Never run user SQL on a connection that is not sealed, whatever opened it.
        sealed = con.execute(
            "SELECT current_setting('enable_external_access'), "
            "current_setting('lock_configuration'), readonly FROM duckdb_databases() "
            "WHERE database_name = current_database()"
        ).fetchall()
        if sealed != [(False, True, True)]:
            raise RuntimeError(
                f"query connection to {warehouse.display(path)} is not sealed: {sealed}"
            )
        yield con


def run_query(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """(column names, rows) of one read statement; anything else raises `QueryRefused`.

    DuckDB's own errors (a typo, an unknown table) propagate as `duckdb.Error`, except those of
    the sealed connection's refusals, which become `QueryRefused` with the same advice.
    """
    statement, kind = _only_statement(con, sql)
    _check_readable(con, statement.query, kind)
    try:
        result = con.execute(statement)  # the parsed statement: what was checked is what runs
        columns = [d[0] for d in result.description or []]
        return columns, result.fetchall()
    except duckdb.Error as exc:
        refusal = _refusal_of(exc, _verb(statement.query))
        if refusal is None:
            raise
        raise QueryRefused(refusal) from exc


def _only_statement(
    con: duckdb.DuckDBPyConnection, sql: str
) -> tuple[duckdb.Statement, duckdb.StatementType]:
    """The single statement in `sql` and its type: of several, only the last would print."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.PermissionException as exc:
        # DuckDB 1.5 reads IMPORT DATABASE's schema file while parsing: refused by the seal.
        verb = _verb(sql)
        reason = _VERB_REFUSALS.get(verb)
        raise QueryRefused(
            f"refused: {verb} {reason}" if reason else _refusal_of(exc, verb) or str(exc)
        ) from exc
    if len(statements) > 1 and _verb(sql) in ("PIVOT", "UNPIVOT"):
        # DuckDB 1.5 splits a PIVOT without an IN list into the statements it needs.
        raise QueryRefused(f"refused: {_verb(sql)} {_REFUSALS[ST.MULTI]}")
    if len(statements) != 1:
        got = "nothing but comments" if not statements else len(statements)
        raise QueryRefused(f"refused: one statement per call: got {got}; {_ALLOWED}")
    try:
        kind = statements[0].type
    except ValueError as exc:
        # The Python binding has no StatementType for some statements (UPDATE EXTENSIONS).
        raise QueryRefused(
            f"refused: `{' '.join(_words(sql))[:60]}` is a statement this tool does not know; "
            f"{_ALLOWED}"
        ) from exc
    return statements[0], kind


def _check_readable(con: duckdb.DuckDBPyConnection, text: str, kind: duckdb.StatementType) -> None:
    """Refuse every statement type but the read ones (the first wall)."""
    if kind == ST.SELECT:
        return
    if kind == ST.EXPLAIN:
        if _explained(con, text) == ST.SELECT:
            return
        # EXPLAIN ANALYZE runs the statement it explains.
        raise QueryRefused(f"refused: EXPLAIN explains only a SELECT here; {_ALLOWED}")
    if kind == ST.PRAGMA and _pragma_name(text) in READ_PRAGMAS:
        return
    verb = _verb(text)
    reason = _VERB_REFUSALS.get(verb) if verb != kind.name else None
    reason = reason or _REFUSALS.get(kind, f"is not a read statement; {_ALLOWED}")
    raise QueryRefused(f"refused: {verb} {reason}")


def _explained(con: duckdb.DuckDBPyConnection, text: str) -> duckdb.StatementType | None:
    """The type of the statement an EXPLAIN wraps, or None when it cannot be told.

    After EXPLAIN come options (ANALYZE, or a parenthesised list) and then the statement: the
    first suffix starting at a token that parses on its own as one statement is that statement
    (an option followed by the rest never parses: "analyze select 1", "format json) ...").
    """
    starts = _token_starts(text)[1:]  # past EXPLAIN itself
    for start in starts:
        try:
            inner = con.extract_statements(text[start:])
        except (duckdb.Error, ValueError):
            continue
        if len(inner) != 1:
            return None
        try:
            return inner[0].type
        except ValueError:
            return None
    return None


def _pragma_name(text: str) -> str | None:
    """The name after PRAGMA, lower-cased (None for a quoted or missing name)."""
    words = _words(text)
    return words[1].lower() if len(words) > 1 and words[1].isidentifier() else None


def _verb(text: str) -> str:
    """The statement's leading keyword(s) for a message: "COPY", "FORCE INSTALL", "RESET"."""
    words = _words(text)
    if not words:
        return "this statement"
    count = 2 if words[0].lower() == "force" and len(words) > 1 else 1
    return " ".join(words[:count]).upper()


def _words(text: str) -> list[str]:
    """The text of each token but comments, in order."""
    tokens = duckdb.tokenize(text)
    ends = [pos for pos, _ in tokens[1:]] + [len(text)]
    return [
        text[pos:end].strip()
        for (pos, kind), end in zip(tokens, ends, strict=True)
        if kind != duckdb.token_type.comment
    ]


def _token_starts(text: str) -> list[int]:
    return [pos for pos, kind in duckdb.tokenize(text) if kind != duckdb.token_type.comment]


def _refusal_of(exc: duckdb.Error, verb: str) -> str | None:
    """The sealed connection's refusals (the second wall) in the first wall's words."""
    said = str(exc).split("\n")[0]
    if isinstance(exc, duckdb.PermissionException):
        return f"refused: {verb} reaches outside the warehouse: {_ONLY_WAREHOUSE} (DuckDB: {said})"
    if "configuration has been locked" in said:
        return f"refused: {verb} changes a setting: {_FIXED_SETTINGS} (DuckDB: {said})"
    if "read-only mode" in said:
        return f"refused: {verb} writes: {_NEVER_WRITES} (DuckDB: {said})"
    return None
