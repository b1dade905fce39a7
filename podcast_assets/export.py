"""Export every warehouse table as hive-partitioned Parquet, for tools that don't speak DuckDB.

Layout: `<out_dir>/<table>/<partition column>=<value>/data_0.parquet`, plus `_manifest.json`
(tables, row counts, partition columns, when). Read a table back with
`read_parquet('<out_dir>/<table>/**/*.parquet', hive_partitioning = true)`.

Partitioning: the per-episode tables are partitioned by `source_format`, joined from
`episodes` onto segments, mentions, quotes and topics. That keeps the file count bounded (seven
formats, whatever the number of episodes) where `episode_id` would write one tiny file per
episode and table, and it is the split consumers filter on: analyser rows (enriched_page) and
our own NLP rows (transcripts) differ in meaning (`char_start`, `source`). `partition_state`
is partitioned by `step`; the two small logs (`ingest_errors`, `removals`) and the feed
tables (`shows`, `feed_items`) are one file each.

Consistency and safety: one read-only connection reads every table (a writer waits, as for
any reader), so the files are one snapshot. They are written to a temporary sibling directory
that replaces `out_dir` only once complete: a crash or error leaves the previous export as it
was. An existing `out_dir` is replaced only if it is empty or a previous export (it has our
manifest), so a mistyped path can never delete unrelated files.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from podcast_assets import warehouse
from podcast_assets.schema import EPISODES, TABLES, Table
from podcast_assets.settings import WarehouseTarget
from podcast_assets.sqlfiles import sql_literal

MANIFEST = "_manifest.json"
_UNKNOWN_FORMAT = "unknown"  # rows whose episode row is missing (never written by the steps)


class ExportError(RuntimeError):
    """The export could not be written; the previous export, if any, is untouched."""


@dataclass(frozen=True, slots=True)
class TableExport:
    """How one table is written: its rows, and the column its files are split by (if any)."""

    table: Table
    partition_by: str | None

    def select_sql(self) -> str:
        """The rows to write: the table's own columns, plus `source_format` when joined."""
        columns = ", ".join(f"t.{c}" for c in self.table.column_names)
        if self.partition_by == "source_format" and self.table is not EPISODES:
            return (
                f"SELECT {columns}, coalesce(e.source_format, {sql_literal(_UNKNOWN_FORMAT)}) "
                f"AS source_format FROM {self.table.name} t "
                "LEFT JOIN episodes e USING (episode_id)"
            )
        return f"SELECT {columns} FROM {self.table.name} t"


def plan() -> list[TableExport]:
    """How each table is written (see the module docstring for why)."""
    partition_by = {"partition_state": "step", "ingest_errors": None, "removals": None}
    return [
        TableExport(
            t,
            partition_by.get(
                t.name, "source_format" if t.partitioned and t.key == "episode_id" else None
            ),
        )
        for t in TABLES
    ]


def export_parquet(
    warehouse_path: str | Path,
    out_dir: str | Path,
    *,
    lock_timeout_s: float = warehouse.DEFAULT_LOCK_TIMEOUT_S,
) -> dict[str, int]:
    """Write every table under `out_dir` as Parquet and return the rows written per table."""
    out = Path(out_dir)
    _check_replaceable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        counts = _write(warehouse_path, staging, lock_timeout_s)
        _swap(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return counts


def _write(warehouse_path: WarehouseTarget, staging: Path, lock_timeout_s: float) -> dict[str, int]:
    """Every table and the manifest into `staging`, from one read-only snapshot."""
    counts: dict[str, int] = {}
    partitions: dict[str, str | None] = {}
    with warehouse.open_reader(warehouse_path, lock_timeout_s) as con, warehouse.transaction(con):
        # One transaction: a lake's other writers may commit meanwhile, and every table must
        # come from the same snapshot (a file's reader shuts writers out anyway).
        for spec in plan():
            name = spec.table.name
            target = staging / name
            target.mkdir()
            n = _count(con, f"SELECT count(*) FROM {name}")
            if spec.partition_by and n:
                destination = target
                options = f"FORMAT parquet, PARTITION_BY ({spec.partition_by})"
            else:
                # One file: also for an empty partitioned table, so its schema survives.
                destination = target / "data_0.parquet"
                options = "FORMAT parquet"
            # COPY takes no parameter for its target: the path goes in as a quoted literal.
            target_sql = sql_literal(str(destination))
            written = _count(con, f"COPY ({spec.select_sql()}) TO {target_sql} ({options})")
            if written != n:
                raise ExportError(f"{name}: wrote {written} rows, expected {n}")
            counts[name] = written
            partitions[name] = spec.partition_by if n else None
    manifest = {
        "exported_at": datetime.now(UTC).isoformat(),
        "format": "parquet",
        "tables": {
            name: {"rows": counts[name], "partition_by": partitions[name]} for name in counts
        },
    }
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return counts


def _check_replaceable(out: Path) -> None:
    """Refuse to replace anything but nothing, an empty directory or one of our exports."""
    if not out.exists():
        return
    if not out.is_dir():
        raise ExportError(f"{out} exists and is not a directory")
    if any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise ExportError(
            f"{out} is not empty and holds no previous export ({MANIFEST}); "
            "choose an empty or new directory"
        )


def _swap(staging: Path, out: Path) -> None:
    """Put the new export in place; the old one is removed only after the new one is there."""
    if not out.exists():
        staging.rename(out)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    retired.rmdir()
    out.rename(retired)
    try:
        staging.rename(out)
    except BaseException:
        retired.rename(out)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """The single number a count(*) or COPY returns."""
    rows = con.execute(sql).fetchall()
    return int(rows[0][0]) if rows else 0
