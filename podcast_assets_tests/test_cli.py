"""The `podcast-assets` command: output formats, exit codes and read-only queries."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from podcast_assets import steps
from podcast_assets.cli import main
from podcast_assets.schema import TABLES_BY_NAME

from .conftest import SEED_PLAIN_881, SEED_TIMESTAMPED, SEEDS_DIR


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "w.duckdb"
    files = [(n.rsplit(".", 1)[0], SEEDS_DIR / n) for n in (SEED_PLAIN_881, SEED_TIMESTAMPED)]
    steps.ingest.ingest_files(path, files)
    return path


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_cli_sql_table_keeps_integers_and_nulls(db):
    result = run(
        "sql", "SELECT episode_number, title FROM episodes ORDER BY 1", "--warehouse", str(db)
    )
    assert result.exit_code == 0, result.output
    assert "881 " in result.output and "881.0" not in result.output
    assert "NULL" in result.output


def test_cli_sql_json_and_csv(db):
    out = run(
        "sql",
        "SELECT source_format, count(*) AS n FROM episodes GROUP BY 1 ORDER BY 1",
        "--warehouse",
        str(db),
        "--format",
        "json",
    )
    assert json.loads(out.output) == [
        {"source_format": "plain_transcript", "n": 1},
        {"source_format": "timestamped_transcript", "n": 1},
    ]
    csv_out = run("sql", "SELECT 1 AS a, 'x,y' AS b", "--warehouse", str(db), "--format", "csv")
    assert csv_out.output.splitlines() == ["a,b", '1,"x,y"']


def test_cli_sql_schema_lists_comments(db):
    result = run("sql", "--schema", "--warehouse", str(db))
    assert result.exit_code == 0
    assert "episode_key" in result.output and "The episode's identity" in result.output


@pytest.mark.parametrize(
    "args",
    [["sql"], ["sql", "SELECT 1", "--format", "xml"], ["refresh", "--bogus"], ["nope"]],
)
def test_cli_usage_errors_exit_2(args):
    assert run(*args).exit_code == 2


@pytest.mark.parametrize("command", ["refresh", "watch"])
def test_cli_a_warehouse_inside_the_raw_directory_is_a_usage_error(tmp_path, command):
    raw = tmp_path / "raw"
    raw.mkdir()
    result = run(command, "--raw-dir", str(raw), "--warehouse", str(raw / "w.duckdb"))
    assert result.exit_code == 2
    assert "inside the raw directory" in result.output
    assert not (raw / "w.duckdb").exists()


def test_cli_sql_on_missing_warehouse_says_what_to_do(tmp_path):
    result = run("sql", "SELECT 1", "--warehouse", str(tmp_path / "none.duckdb"))
    assert result.exit_code == 3  # the warehouse is unavailable
    assert "run `podcast-assets refresh`" in result.output


def test_cli_bad_query_exits_1_with_duckdb_message(db):
    result = run("sql", "SELECT nope FROM episodes", "--warehouse", str(db))
    assert result.exit_code == 1
    assert "nope" in result.output


@pytest.mark.slow
def test_cli_console_script_is_installed():
    done = subprocess.run(
        [sys.executable, "-m", "podcast_assets.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "refresh" in done.stdout and "sql" in done.stdout


def test_cli_gazetteer_suggest_then_merge(tmp_path):
    from podcast_assets import warehouse
    from podcast_assets.extraction.gazetteer import default_gazetteer_path, load_gazetteer

    db = tmp_path / "w.duckdb"
    row = {
        "episode_id": "p",
        "entity": "Quantum Widgets Inc",
        "surface": "Quantum Widgets Inc",
        "category": "ai_startup",
        "source": "analyzer_llm",
    }
    with warehouse.open_writer(db) as con:
        warehouse.replace_partitions(
            con,
            "extract",
            "x",
            [TABLES_BY_NAME["mentions"]],
            [warehouse.PartitionWrite("p", "s", {"mentions": [row]})],
        )
    suggested = tmp_path / "suggest.yaml"
    result = run("gazetteer", "suggest", "--warehouse", str(db), "--out", str(suggested))
    assert result.exit_code == 0, result.output
    text = suggested.read_text()
    assert "Quantum Widgets Inc" in text
    gazetteer = tmp_path / "gazetteer.yaml"
    gazetteer.write_text(default_gazetteer_path().read_text())
    unreviewed = run("gazetteer", "merge", str(suggested), "--gazetteer", str(gazetteer))
    assert unreviewed.exit_code == 1  # a label is required: review is not optional
    suggested.write_text(text.replace("label: null", "label: ORG"))
    merged = run("gazetteer", "merge", str(suggested), "--gazetteer", str(gazetteer))
    assert merged.exit_code == 0, merged.output
    assert "Quantum Widgets Inc" in load_gazetteer(gazetteer).by_name


def test_cli_export_writes_hive_partitioned_parquet(db, tmp_path):
    import duckdb

    out = tmp_path / "export"
    result = run("export", str(out), "--format", "parquet", "--warehouse", str(db))
    assert result.exit_code == 0, result.output
    assert "episodes: 2 rows" in result.output
    assert (out / "segments" / "source_format=plain_transcript").is_dir()
    rows = duckdb.sql(
        f"SELECT source_format, count(*) FROM read_parquet('{out}/segments/*/*.parquet', "
        "hive_partitioning = true) GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert [fmt for fmt, _ in rows] == ["plain_transcript", "timestamped_transcript"]


@pytest.mark.parametrize(
    "statement",
    [
        "COPY episodes TO '{out}/x.csv'",
        "EXPORT DATABASE '{out}/dump'",
        "SELECT 1; COPY episodes TO '{out}/x.csv'",
        "SELECT * FROM read_text('/etc/passwd')",
    ],
)
def test_cli_sql_refuses_to_write_or_read_outside_the_warehouse(db, tmp_path, statement):
    out = tmp_path / "out"
    out.mkdir()
    result = run("sql", statement.format(out=out), "--warehouse", str(db))
    assert result.exit_code == 2, result.output
    assert "refused" in result.output and "root:" not in result.output
    assert list(out.iterdir()) == []
