"""Parquet export on a real DuckDB file: every table, hive-partitioned, atomic, read-only."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from podcast_assets import export, warehouse
from podcast_assets.schema import EPISODES, MENTIONS, SEGMENTS, TABLES

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def episode(episode_id: str, fmt: str) -> dict[str, Any]:
    return {
        "episode_id": episode_id,
        "episode_key": f"k:{episode_id}",
        "source_format": fmt,
        "source_file": f"{episode_id}.txt",
        "content_sha256": f"sha-{episode_id}",
        "encoding": "utf-8",
        "ingested_at": NOW,
        "metadata_source": "transcript",
        "timed": False,
        "speaker_count": 0,
        "tags": ["a", "b"],
        "front_matter": json.dumps({"title": "x"}),
    }


def write(db: Path, episode_id: str, fmt: str, n_segments: int = 3) -> None:
    rows = {
        "episodes": [episode(episode_id, fmt)],
        "segments": [
            {"episode_id": episode_id, "seq": i, "char_start": i, "text": f"it's {i}"}
            for i in range(n_segments)
        ],
        "mentions": [{"episode_id": episode_id, "entity": "AWS", "source": "spacy"}],
    }
    with warehouse.open_writer(db) as con:
        warehouse.replace_partitions(
            con,
            "ingest",
            "1",
            [EPISODES, SEGMENTS, MENTIONS],
            [warehouse.PartitionWrite(episode_id, f"sha-{episode_id}", rows)],
        )


@pytest.fixture(scope="module")
def _written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("export") / "w.duckdb"
    write(path, "page", "enriched_page", 0)
    write(path, "plain", "plain_transcript", 4)
    write(path, "vtt", "webvtt", 2)
    return path


@pytest.fixture
def db(_written: Path, tmp_path: Path) -> Path:
    """This test's own copy of the module's warehouse (written once)."""
    path = tmp_path / "w.duckdb"
    shutil.copyfile(_written, path)
    return path


def read(out: Path, table: str) -> list[tuple]:
    con = duckdb.connect()
    glob = str(out / table / "**" / "*.parquet").replace("'", "''")
    return sorted(
        con.execute(f"SELECT * FROM read_parquet('{glob}', hive_partitioning = true)").fetchall(),
        key=repr,
    )


def test_export_writes_every_table_with_its_rows(db, tmp_path):
    out = tmp_path / "export"
    counts = export.export_parquet(db, out)
    assert set(counts) == {t.name for t in TABLES}
    with warehouse.open_reader(db) as con:
        assert counts == {
            t.name: con.execute(f"SELECT count(*) FROM {t.name}").fetchone()[0] for t in TABLES
        }
        original = sorted(con.execute("SELECT * FROM episodes").fetchall(), key=repr)
    # Read back with its partition column, the table is the warehouse's, value for value.
    exported = read(out, "episodes")
    assert len(exported) == len(original) == 3
    names = [c.name for c in EPISODES.columns]
    con = duckdb.connect()
    glob = str(out / "episodes" / "**" / "*.parquet")
    back = sorted(
        con.execute(
            f"SELECT {', '.join(names)} FROM read_parquet('{glob}', hive_partitioning = true)"
        ).fetchall(),
        key=repr,
    )
    assert back == original
    manifest = json.loads((out / export.MANIFEST).read_text())
    assert {k: v["rows"] for k, v in manifest["tables"].items()} == counts


def test_export_partitions_by_source_format_step_or_not_at_all(db, tmp_path):
    out = tmp_path / "export"
    export.export_parquet(db, out)
    assert sorted(p.name for p in (out / "episodes").iterdir()) == [
        "source_format=enriched_page",
        "source_format=plain_transcript",
        "source_format=webvtt",
    ]
    # Segments carry their episode's format; the page has none.
    assert sorted(p.name for p in (out / "segments").iterdir()) == [
        "source_format=plain_transcript",
        "source_format=webvtt",
    ]
    by_format = dict(
        duckdb.connect()
        .execute(
            "SELECT source_format, count(*) FROM read_parquet("
            f"'{out}/segments/**/*.parquet', hive_partitioning = true) GROUP BY 1"
        )
        .fetchall()
    )
    assert by_format == {"plain_transcript": 4, "webvtt": 2}
    assert [p.name for p in (out / "partition_state").iterdir()] == ["step=ingest"]
    assert [p.name for p in (out / "removals").iterdir()] == ["data_0.parquet"]


def test_export_keeps_the_schema_of_empty_tables(db, tmp_path):
    out = tmp_path / "export"
    export.export_parquet(db, out)
    for table in ("quotes", "topics", "ingest_errors", "removals"):
        assert read(out, table) == []
        columns = [
            r[0]
            for r in duckdb.connect()
            .execute(f"DESCRIBE SELECT * FROM '{out}/{table}/data_0.parquet'")
            .fetchall()
        ]
        expected = [c.name for c in next(t for t in TABLES if t.name == table).columns]
        assert columns[: len(expected)] == expected


def test_export_replaces_a_previous_export_whole(db, tmp_path):
    out = tmp_path / "export"
    export.export_parquet(db, out)
    with warehouse.open_writer(db) as con:
        warehouse.remove_partitions(con, ["vtt"])
    export.export_parquet(db, out)
    assert not (out / "episodes" / "source_format=webvtt").exists()
    assert len(read(out, "episodes")) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export", "w.duckdb"]  # no leftovers


def test_export_failure_leaves_the_previous_export_untouched(db, tmp_path, monkeypatch):
    out = tmp_path / "export"
    export.export_parquet(db, out)
    before = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    # A last table that fails mid-export, after the others were written to the staging dir.
    broken = export.TableExport(dataclasses.replace(EPISODES, name="no_such_table"), None)
    real_plan = export.plan
    monkeypatch.setattr(export, "plan", lambda: [*real_plan(), broken])
    with pytest.raises(duckdb.Error):
        export.export_parquet(db, out)
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export", "w.duckdb"]


def test_export_never_replaces_a_directory_it_did_not_write(db, tmp_path):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(export.ExportError, match="not empty"):
        export.export_parquet(db, out)
    assert (out / "notes.txt").read_text() == "keep me"
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(export.ExportError, match="not a directory"):
        export.export_parquet(db, tmp_path / "a-file")


@pytest.mark.slow
def test_export_reads_only(db, tmp_path):
    """It runs beside another reader (a writer could not) and leaves the file unchanged."""
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); "
            "print('holding', flush=True); time.sleep(30)",
            str(db),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        counts = export.export_parquet(db, tmp_path / "out dir with 'quote'", lock_timeout_s=5)
    finally:
        holder.kill()
        holder.wait()
    assert counts["segments"] == 6
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest


def test_export_of_a_missing_warehouse_says_what_to_do(tmp_path):
    with pytest.raises(warehouse.WarehouseMissingError, match="refresh"):
        export.export_parquet(tmp_path / "none.duckdb", tmp_path / "out")
    assert not (tmp_path / "out").exists()
