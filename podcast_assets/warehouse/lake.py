"""The DuckLake backend: a catalog in PostgreSQL, the data as Parquet files under a data path.

Chosen by `PODCAST_WAREHOUSE=ducklake:postgres:<libpq connection string or URL>`, with the
Parquet files under `PODCAST_LAKE_DATA` (a local folder, or an object-store URL when DuckDB can
write there). Unlike the embedded file, any number of processes, on any number of machines, can
read and write it at once: each commit is a transaction in the catalog database. Only a
PostgreSQL catalog is offered: SQLite and DuckDB-file catalogs block or fail across processes,
which is the point of a lake here.

A process opens the lake once per mode and hands out cursors on it: attaching costs ~0.3 s
(two extensions and a catalog round trip), and a refresh opens the warehouse per batch.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb

from podcast_assets.sqlfiles import sql_literal
from podcast_assets.warehouse import extensions

PREFIX = "ducklake:"
CATALOG = "lake"  # the name the lake is attached as; `USE lake` makes it every query's default
_SUPPORTED = ("postgres:",)
_SECRETS = (  # libpq's `password=...` and a URL's `user:password@`
    (re.compile(r"(password\s*=\s*)\S+", re.I), r"\1***"),
    (re.compile(r"(://[^:/@]+:)[^@]+@"), r"\1***@"),
)


class LakeUnavailableError(RuntimeError):
    """The lake's catalog could not be reached or is not a lake this project can use."""


@dataclass(frozen=True, slots=True)
class Lake:
    """Where a lake lives: its catalog connection and the root of its Parquet files."""

    catalog: str  # what follows `ducklake:`, e.g. `postgres:dbname=lake host=db`
    data_path: str

    @property
    def display(self) -> str:
        """The catalog with any password masked: safe for messages, logs and the UI."""
        text = PREFIX + self.catalog
        for pattern, masked in _SECRETS:
            text = pattern.sub(masked, text)
        return text


def is_lake(target: str | os.PathLike[str]) -> bool:
    return str(target).startswith(PREFIX) if isinstance(target, str) else False


def parse(target: str, data_path: str | os.PathLike[str]) -> Lake:
    """A `ducklake:` setting as a `Lake`; a catalog we cannot use concurrently is refused."""
    catalog = target.removeprefix(PREFIX)
    if not catalog.startswith(_SUPPORTED):
        raise LakeUnavailableError(
            f"PODCAST_WAREHOUSE={target!r}: the lake's catalog must be PostgreSQL "
            "(`ducklake:postgres:dbname=... host=...` or `ducklake:postgres:postgresql://...`); "
            "SQLite and DuckDB-file catalogs do not take writers from several processes"
        )
    data = str(data_path)
    if "://" not in data:  # a local folder: absolute, so every process agrees on it
        data = str(Path(data).resolve())
    return Lake(catalog, data.rstrip("/") + "/")


_instances: dict[tuple[Lake, bool, int], duckdb.DuckDBPyConnection] = {}
_lock = threading.Lock()


def connect(lake: Lake, *, read_only: bool, shared: bool = True) -> duckdb.DuckDBPyConnection:
    """A connection whose default catalog is the lake; `shared=False` for one of its own.

    Shared connections are cursors on one attached instance per process and mode; a private
    one (the `sql` command seals its settings) is an instance of its own.
    """
    if not shared:
        return _use(_attach(lake, read_only))
    key = (lake, read_only, os.getpid())  # a forked child attaches for itself
    with _lock:
        base = _instances.get(key)
        if base is None:
            base = _instances[key] = _attach(lake, read_only)
    return _use(base.cursor())


def _attach(lake: Lake, read_only: bool) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    try:
        extensions.load(con, "ducklake", "postgres_scanner")
        options = f"DATA_PATH {sql_literal(lake.data_path)}" + (", READ_ONLY" if read_only else "")
        con.execute(f"ATTACH {sql_literal(PREFIX + lake.catalog)} AS {CATALOG} ({options})")
    except duckdb.Error as exc:
        con.close()
        raise LakeUnavailableError(f"could not open the lake {lake.display}: {exc}") from exc
    return con


def _use(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con.execute(f"USE {CATALOG}")
    return con


def forget() -> None:
    """Close this process's shared instances (tests; a process that is about to fork)."""
    with _lock:
        for con in _instances.values():
            con.close()
        _instances.clear()
