"""Keeping a warehouse small: a lake's snapshots expired and its small files merged.

Every commit to a DuckLake adds Parquet files (a refresh flushes every few partitions; a
concurrent refresh commits per run and batch), or, when small, rows inlined in the catalog
database; it keeps the old files for time travel, and a writer killed before its commit leaves
its files behind. Left alone, a year of nightly refreshes is tens of thousands of small files
that every query opens. Writing inlined rows out, merging adjacent files, expiring snapshots
older than `retain`, then deleting the files no snapshot needs (and orphans) brings them back
to a few per table. `retain` protects readers: a query that started on an older snapshot keeps
its files that long. A DuckDB file only needs its write-ahead log folded in (CHECKPOINT).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import duckdb

from podcast_assets.schema import TABLES
from podcast_assets.warehouse.ddl import is_lake


@dataclass(frozen=True, slots=True)
class Upkeep:
    """What one upkeep did: files before and after (live Parquet of the lake's tables), the
    snapshots left, and how long it took."""

    backend: str  # "ducklake" or "duckdb"
    files_before: int
    files_after: int
    snapshots_before: int
    snapshots_after: int
    seconds: float


def compact(con: duckdb.DuckDBPyConnection, retain: timedelta, data_path: str = "") -> Upkeep:
    """Merge, expire, clean up (a lake), or checkpoint (a file). Idempotent; safe to rerun."""
    started = time.perf_counter()
    if not is_lake(con):
        con.execute("CHECKPOINT")
        return Upkeep("duckdb", 0, 0, 0, 0, time.perf_counter() - started)
    before, snaps_before = _files(con, data_path), _snapshots(con)
    catalog = con.execute("SELECT current_database()").fetchall()[0][0]
    older_than = f"now() - INTERVAL '{int(retain.total_seconds())} seconds'"
    for call in (
        # Small commits' rows live in the catalog (data inlining): write them out as Parquet,
        "ducklake_flush_inlined_data('{c}')",
        # merge neighbouring small files, expire old snapshots, delete what none needs,
        "ducklake_merge_adjacent_files('{c}')",
        "ducklake_expire_snapshots('{c}', older_than => {t})",
        "ducklake_cleanup_old_files('{c}', older_than => {t})",
        # and the files of writers that died before committing (a killed run's).
        "ducklake_delete_orphaned_files('{c}', older_than => {t})",
    ):
        con.execute("CALL " + call.format(c=catalog, t=older_than)).fetchall()
    return Upkeep(
        "ducklake",
        before,
        _files(con, data_path),
        snaps_before,
        _snapshots(con),
        time.perf_counter() - started,
    )


def _files(con: duckdb.DuckDBPyConnection, data_path: str) -> int:
    """Parquet files under a local data path (what the disk holds), else the live ones."""
    if data_path and "://" not in data_path and Path(data_path).is_dir():
        return sum(1 for _ in Path(data_path).rglob("*.parquet"))
    scans = " UNION ALL ".join(
        f"SELECT count(*) AS n FROM ducklake_list_files(current_database(), '{t.name}')"
        for t in TABLES
    )
    return int(con.execute(f"SELECT sum(n) FROM ({scans})").fetchall()[0][0] or 0)


def _snapshots(con: duckdb.DuckDBPyConnection) -> int:
    return int(
        con.execute("SELECT count(*) FROM ducklake_snapshots(current_database())").fetchall()[0][0]
    )
