"""The ad hoc query path on a real warehouse file: attacks refused, reads still answered.

Every attack is checked three ways: it is refused with a message a user can act on, no file
appeared where it aimed, and the warehouse file is byte for byte what it was. The sealed
connection is also attacked directly, bypassing the statement check, to show that the second
wall stands on its own.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from podcast_assets import query, warehouse
from podcast_assets.schema import EPISODES, MENTIONS, QUOTES, SEGMENTS, TOPICS
from podcast_assets.views import VIEWS

SECRET = "top-secret-contents"
AT = datetime(2025, 4, 22, 11, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse with one episode that gives every analysis view at least one row."""
    path = tmp_path_factory.mktemp("warehouse") / "w.duckdb"
    eid, sha = "ep1", "sha1"
    episode = {
        "episode_id": eid,
        "episode_key": "show:1",
        "source_format": "enriched_page",
        "source_file": "ep1.txt",
        "content_sha256": sha,
        "encoding": "utf-8",
        "ingested_at": AT,
        "published_at": AT,
        "show_name": "Show",
        "episode_number": 1,
        "title": "One",
        "metadata_source": "front_matter",
        "timed": True,
        "speaker_count": 0,
    }
    segments = [
        {"episode_id": eid, "seq": i, "char_start": i * 20, "start_seconds": i * 30.0, "text": t}
        for i, t in enumerate(["Acme builds chips.", "Acme ships them."])
    ]
    mention = {"episode_id": eid, "entity": "Acme", "surface": "Acme", "label": "ORG"}
    extracted = {
        "mentions": [{**mention, "source": "spacy", "char_start": 0, "start_seconds": 0.0}],
        "quotes": [
            {
                "episode_id": eid,
                "text": "Acme builds chips.",
                "source": "heuristic",
                "relevance_score": 7,
                "start_seconds": 0.0,
                "char_start": 0,
                "topics": ["hardware"],
            }
        ],
        "topics": [
            {"episode_id": eid, "topic": "hardware", "mentions": 2, "prominence": 0.2}
            | {"source": "taxonomy"}
        ],
    }
    with warehouse.open_writer(path) as con:
        warehouse.replace_partitions(
            con,
            "ingest",
            "1",
            [EPISODES, SEGMENTS],
            [warehouse.PartitionWrite(eid, sha, {"episodes": [episode], "segments": segments})],
        )
        warehouse.replace_partitions(
            con,
            "extract",
            "1",
            [MENTIONS, QUOTES, TOPICS],
            [warehouse.PartitionWrite(eid, sha, extracted)],
        )
    return path


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory outside the warehouse, holding one file a query must not read."""
    (tmp_path / "secret.csv").write_text(f"a,b\n{SECRET},2\n")
    return tmp_path


def fingerprint(db: Path) -> tuple[str, list[str]]:
    """The warehouse file's bytes and its directory's entries: what "unchanged" means."""
    return hashlib.sha256(db.read_bytes()).hexdigest(), sorted(p.name for p in db.parent.iterdir())


def run(db: Path, sql: str) -> tuple[list[str], list[tuple]]:
    with query.open_query_connection(db, lock_timeout_s=5) as con:
        return query.run_query(con, sql)


WRITES = "never writes: the warehouse is built by `podcast-assets refresh`"
SETTINGS = "settings of `podcast-assets sql` are fixed"
EXPORT = "use `podcast-assets export OUT_DIR`"
OUTSIDE = "reads only the warehouse, never other files"

# (sql with {out} for the outside directory, what the message must say, paths that must not
# appear under {out}).
ATTACKS = {
    "copy_to": (
        "COPY episodes TO '{out}/x.csv'",
        f"COPY moves data between the warehouse and files: `podcast-assets sql` {OUTSIDE}",
        ["x.csv"],
    ),
    "copy_query_to_parquet": (
        "COPY (SELECT * FROM segments) TO '{out}/s.parquet' (FORMAT parquet)",
        EXPORT,
        ["s.parquet"],
    ),
    "copy_from": ("COPY episodes FROM '{out}/secret.csv'", "COPY moves data", []),
    "export_database": (
        "EXPORT DATABASE '{out}/d'",
        f"EXPORT writes files: `podcast-assets sql` {OUTSIDE}",
        ["d"],
    ),
    "import_database": ("IMPORT DATABASE '{out}'", "IMPORT reads files into the warehouse", []),
    "attach": (
        "ATTACH '{out}/e.duckdb' AS e (READ_ONLY false)",
        "ATTACH opens another database",
        ["e.duckdb"],
    ),
    "attach_then_create": (
        "ATTACH '{out}/e.duckdb' AS e (READ_ONLY false); CREATE TABLE e.t AS SELECT 1",
        "one statement per call: got 2",
        ["e.duckdb"],
    ),
    "create_in_attached": (
        "CREATE TABLE e.t AS SELECT 1",
        f"CREATE writes: `podcast-assets sql` {WRITES}",
        [],
    ),
    "set": ("SET threads = 1", f"SET changes a setting: the {SETTINGS}", []),
    "set_external_access": ("SET enable_external_access = true", SETTINGS, []),
    "reset": ("RESET threads", f"RESET changes a setting: the {SETTINGS}", []),
    "pragma_setting": ("PRAGMA threads = 1", f"PRAGMA changes a setting: the {SETTINGS}", []),
    "pragma_profiling": (
        "PRAGMA enable_profiling",
        "PRAGMA is not one of the read-only pragmas",
        [],
    ),
    "set_variable": ("SET VARIABLE x = 1", SETTINGS, []),
    "use": ("USE memory", SETTINGS, []),
    "load": ("LOAD httpfs", "LOAD installs or loads an extension", []),
    "install": ("INSTALL httpfs", "INSTALL installs or loads an extension", []),
    "force_install": ("FORCE INSTALL httpfs", "FORCE INSTALL installs or loads an extension", []),
    "update_extensions": (
        "UPDATE EXTENSIONS",
        "refused: UPDATE is not a read statement",
        [],
    ),
    "three_statements": ("SELECT 1; SELECT 2; SELECT 3", "one statement per call: got 3", []),
    "copy_hidden_before_select": (
        "COPY episodes TO '{out}/m.csv'; SELECT 1",
        "one statement per call: got 2",
        ["m.csv"],
    ),
    "nothing": ("-- just a comment\n;", "one statement per call: got nothing but comments", []),
    "read_text": (
        "SELECT * FROM read_text('/etc/passwd')",
        f"SELECT reaches outside the warehouse: `podcast-assets sql` {OUTSIDE}",
        [],
    ),
    "read_csv": ("SELECT * FROM read_csv('{out}/secret.csv')", "disabled by configuration", []),
    "file_scan": ("SELECT * FROM '{out}/secret.csv'", "reaches outside the warehouse", []),
    "read_blob": (
        "SELECT * FROM read_blob('{out}/secret.csv')",
        "reaches outside the warehouse",
        [],
    ),
    "glob": ("SELECT * FROM glob('{out}/*')", "reaches outside the warehouse", []),
    "create_table": (
        "CREATE TABLE t (a INTEGER)",
        f"CREATE writes: `podcast-assets sql` {WRITES}",
        [],
    ),
    "create_temp_table": ("CREATE TEMP TABLE t (a INTEGER)", "CREATE writes", []),
    "insert": ("INSERT INTO topics SELECT * FROM topics", "INSERT writes", []),
    "update": ("UPDATE episodes SET title = 'x'", "UPDATE writes", []),
    "delete": ("DELETE FROM episodes", f"DELETE writes: `podcast-assets sql` {WRITES}", []),
    "truncate": ("TRUNCATE segments", "TRUNCATE writes", []),
    "drop": ("DROP VIEW episode_catalog", "DROP writes", []),
    "alter": ("ALTER TABLE episodes ADD COLUMN x INTEGER", "ALTER writes", []),
    "comment": ("COMMENT ON TABLE episodes IS 'x'", "COMMENT writes", []),
    "checkpoint": ("CHECKPOINT", "CHECKPOINT writes", []),
    "call": ("CALL pragma_table_info('episodes')", "write `SELECT * FROM name(...)`", []),
    "begin": ("BEGIN TRANSACTION", "BEGIN is not needed", []),
    "explain_analyze_copy": (
        "EXPLAIN ANALYZE COPY episodes TO '{out}/x.csv'",
        "EXPLAIN explains only a SELECT",
        ["x.csv"],
    ),
    "explain_analyze_delete": (
        "/* hidden */ EXPLAIN (ANALYZE, FORMAT json) DELETE FROM episodes",
        "EXPLAIN explains only a SELECT",
        [],
    ),
    "pivot_without_values": (
        "PIVOT episodes ON source_format USING count(*)",
        "list the values",
        [],
    ),
}


@pytest.mark.parametrize(("sql", "says", "targets"), ATTACKS.values(), ids=ATTACKS.keys())
def test_query_refuses_attack_and_leaves_no_trace(db, outside, sql, says, targets):
    before = fingerprint(db)
    with pytest.raises(query.QueryRefused, match=re.escape(says)) as refused:
        run(db, sql.format(out=outside))
    assert str(refused.value).startswith("refused: ")
    assert SECRET not in str(refused.value)
    for target in targets:
        assert not (outside / target).exists()
    assert sorted(p.name for p in outside.iterdir()) == ["secret.csv"]
    assert fingerprint(db) == before


# The second wall alone: the statement check bypassed, straight to the sealed connection.
SEALED = {
    "copy_to": ("COPY episodes TO '{out}/x.csv'", "disabled by configuration", ["x.csv"]),
    "export_database": ("EXPORT DATABASE '{out}/d'", "disabled by configuration", ["d"]),
    "attach": (
        "ATTACH '{out}/e.duckdb' AS e (READ_ONLY false)",
        "disabled by configuration",
        ["e.duckdb"],
    ),
    "import_database": ("IMPORT DATABASE '{out}'", "disabled by configuration", []),
    "set": ("SET threads = 1", "configuration has been locked", []),
    "unlock": ("SET lock_configuration = false", "configuration has been locked", []),
    "external_access_on": (
        "SET enable_external_access = true",
        "configuration has been locked",
        [],
    ),
    "reset": ("RESET threads", "configuration has been locked", []),
    "pragma_setting": ("PRAGMA threads = 1", "configuration has been locked", []),
    "load": ("LOAD httpfs", "disabled through configuration", []),
    "install": ("INSTALL httpfs", "disabled by configuration", []),
    "read_text": ("SELECT * FROM read_text('/etc/passwd')", "disabled by configuration", []),
    "read_csv": ("SELECT * FROM read_csv('{out}/secret.csv')", "disabled by configuration", []),
    "glob": ("SELECT * FROM glob('{out}/*')", "disabled by configuration", []),
    "explain_analyze_copy": (
        "EXPLAIN ANALYZE COPY episodes TO '{out}/x.csv'",
        "disabled by configuration",
        ["x.csv"],
    ),
    "create_table": ("CREATE TABLE t (a INTEGER)", "read-only mode", []),
    "delete": ("DELETE FROM episodes", "read-only mode", []),
}


@pytest.mark.parametrize(("sql", "says", "targets"), SEALED.values(), ids=SEALED.keys())
def test_query_connection_refuses_attack_on_its_own(db, outside, sql, says, targets):
    before = fingerprint(db)
    with query.open_query_connection(db, lock_timeout_s=5) as con:
        with pytest.raises(duckdb.Error, match=re.escape(says)) as refused:
            con.execute(sql.format(out=outside)).fetchall()
        # What run_query would print had the statement got this far.
        translated = query._refusal_of(refused.value, "IT")
    assert translated is not None
    assert translated.startswith("refused: IT ")
    assert says in translated  # DuckDB's own words are kept
    for target in targets:
        assert not (outside / target).exists()
    assert sorted(p.name for p in outside.iterdir()) == ["secret.csv"]
    assert fingerprint(db) == before


def test_query_connection_is_sealed(db):
    with query.open_query_connection(db, lock_timeout_s=5) as con:
        settings = dict(
            con.execute(
                "SELECT name, value FROM duckdb_settings() WHERE name IN "
                "('access_mode', 'enable_external_access', 'lock_configuration')"
            ).fetchall()
        )
    assert settings == {
        "access_mode": "read_only",
        "enable_external_access": "false",
        "lock_configuration": "true",
    }


LEGITIMATE = {
    "select_table": (
        "SELECT episode_id, title FROM episodes",
        ["episode_id", "title"],
        [("ep1", "One")],
    ),
    "select_view": (
        "SELECT entity, episodes FROM entity_leaderboard",
        ["entity", "episodes"],
        [("Acme", 1)],
    ),
    "cte": (
        "WITH n AS (SELECT count(*) AS c FROM segments) SELECT c FROM n",
        ["c"],
        [(2,)],
    ),
    "from_first": ("FROM episodes SELECT episode_key", ["episode_key"], [("show:1",)]),
    "trailing_semicolon": ("select 1;", ["1"], [(1,)]),
    "comments": ("-- why\nSELECT 1 AS one /* inline */ ;  -- trailing", ["one"], [(1,)]),
    "read_pragma": (
        "PRAGMA table_info('topics')",
        ["cid", "name", "type", "notnull", "dflt_value", "pk"],
        None,
    ),
    "pragma_function": (
        "SELECT name FROM pragma_table_info('topics') WHERE pk OR name = 'topic'",
        ["name"],
        [("topic",)],
    ),
    "parameter_free_values": ("VALUES (1, 'a')", ["col0", "col1"], [(1, "a")]),
    "pivot_with_values": (
        "PIVOT episodes ON source_format IN ('enriched_page') USING count(*) GROUP BY episode_key",
        ["episode_key", "enriched_page"],
        [("show:1", 1)],
    ),
}


@pytest.mark.parametrize(("sql", "columns", "rows"), LEGITIMATE.values(), ids=LEGITIMATE.keys())
def test_query_answers_read(db, sql, columns, rows):
    got_columns, got_rows = run(db, sql)
    assert got_columns == columns
    if rows is not None:
        assert got_rows == rows


@pytest.mark.parametrize(
    ("sql", "column", "expected"),
    [
        ("DESCRIBE episodes", "column_name", "episode_id"),
        ("SHOW TABLES", "name", "episode_catalog"),
        ("SUMMARIZE segments", "column_name", "start_seconds"),
        ("EXPLAIN SELECT * FROM episode_catalog", "explain_key", "physical_plan"),
        ("EXPLAIN ANALYZE SELECT count(*) FROM segments", "explain_key", "analyzed_plan"),
        ("explain (format json) (select 1)", "explain_key", "physical_plan"),
    ],
)
def test_query_answers_catalog_and_plan_statements(db, sql, column, expected):
    columns, rows = run(db, sql)
    assert expected in [row[columns.index(column)] for row in rows]


@pytest.mark.parametrize("view", [v.name for v in VIEWS])
def test_query_views_work_with_external_access_off(db, view):
    columns, rows = run(db, f"SELECT * FROM {view}")
    assert columns
    assert rows


@pytest.mark.parametrize(
    ("sql", "error", "says"),
    [
        ("SELEC 1", duckdb.ParserException, "syntax error"),
        ("SELECT * FROM nope", duckdb.CatalogException, "nope does not exist"),
    ],
)
def test_query_passes_duckdb_errors_through(db, sql, error, says):
    with pytest.raises(error, match=says):
        run(db, sql)


def test_query_of_missing_warehouse_says_what_to_do(tmp_path):
    with (
        pytest.raises(warehouse.WarehouseMissingError, match="podcast-assets refresh"),
        query.open_query_connection(tmp_path / "none.duckdb", lock_timeout_s=1),
    ):
        pass
    assert not (tmp_path / "none.duckdb").exists()


HOLD_WRITER = """
import duckdb, sys, time
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(30)
"""


@pytest.mark.slow  # starts a process that holds the lock
def test_query_gives_up_on_a_locked_warehouse(tmp_path, db):
    copy = tmp_path / "w.duckdb"
    copy.write_bytes(db.read_bytes())
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_WRITER, str(copy)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "holding"
        with (
            pytest.raises(warehouse.WarehouseLockedError, match="another process holds it"),
            query.open_query_connection(copy, lock_timeout_s=0.3),
        ):
            pass
    finally:
        proc.kill()
        proc.wait()
