"""The warehouse module on a real DuckDB file, and where it matters on a real DuckLake:
atomic replace, removal, locks, comments."""

from __future__ import annotations

import subprocess
import sys
import time

import duckdb
import pytest

from podcast_assets import failures, warehouse
from podcast_assets.schema import ENTITY_ALIASES, SEGMENTS, TABLES
from podcast_assets.views import VIEWS


def seg(episode_id: str, seq: int, text: str = "hello") -> dict:
    return {"episode_id": episode_id, "seq": seq, "char_start": 0, "text": text}


def write(path, episode_id: str, n: int, sha: str = "s") -> dict[str, int]:
    rows = {"segments": [seg(episode_id, i) for i in range(n)]}
    with warehouse.open_writer(path) as con:
        return warehouse.replace_partitions(
            con, "ingest", "1", [SEGMENTS], [warehouse.PartitionWrite(episode_id, sha, rows)]
        )


def count(path, sql: str) -> int:
    with warehouse.open_reader(path) as con:
        return con.execute(sql).fetchall()[0][0]


def test_warehouse_replace_is_idempotent_per_partition(warehouse_target):
    db = warehouse_target
    write(db, "a", 3)
    write(db, "b", 2)
    write(db, "a", 3)
    write(db, "a", 3)
    assert count(db, "SELECT count(*) FROM segments") == 5
    assert count(db, "SELECT count(*) FROM partition_state") == 2


def test_warehouse_failed_write_leaves_previous_rows_intact(warehouse_target):
    db = warehouse_target
    write(db, "a", 3)
    bad = {"segments": [seg("a", 0), {"episode_id": "a", "seq": 1, "char_start": 0}]}  # no text
    with warehouse.open_writer(db) as con, pytest.raises(duckdb.Error):
        warehouse.replace_partitions(
            con, "ingest", "2", [SEGMENTS], [warehouse.PartitionWrite("a", "new", bad)]
        )
    assert count(db, "SELECT count(*) FROM segments WHERE episode_id = 'a'") == 3
    with warehouse.open_reader(db) as con:
        assert warehouse.partition_states(con)["a"]["ingest"].content_sha256 == "s"


def test_warehouse_removal_deletes_rows_and_records_them(warehouse_target):
    db = warehouse_target
    write(db, "a", 3)
    with warehouse.open_writer(db) as con:
        report = warehouse.remove_partitions(con, ["a"])
    assert report["a"]["segments"] == 3
    assert count(db, "SELECT count(*) FROM segments") == 0
    assert count(db, "SELECT count(*) FROM removals WHERE episode_id = 'a'") == 1


def batch_writer(db, on_last) -> warehouse.BatchWriter:
    return warehouse.BatchWriter(db, "ingest", "1", [SEGMENTS], every=2, on_last=on_last)


def alias_row(surface: str) -> dict:
    return {
        "surface": surface,
        "label": None,
        "canonical": "c",
        "method": "key",
        "score": 100.0,
        "mentions": 1,
    }


def test_warehouse_batch_writer_runs_its_last_hook_with_the_last_batch(warehouse_target):
    """A full queue waits for the next write, so the step's last batch is still queued at
    `flush`, and the last hook's rows commit in that batch's transaction."""
    db, seen = warehouse_target, []

    def on_last(con, writes) -> None:
        seen.append([w.episode_id for w in writes])
        states = con.execute("SELECT count(*) FROM partition_state").fetchall()[0][0]
        warehouse.replace_rows(con, ENTITY_ALIASES, [alias_row(f"after {states}")])

    writer = batch_writer(db, on_last)
    added = [
        writer.add(warehouse.PartitionWrite(e, "s", {"segments": [seg(e, 0)]})) for e in "abcd"
    ]
    assert added == [False, False, True, False]
    assert writer.written == ["a", "b"]
    writer.flush()
    assert seen == [["c", "d"]] and writer.written == ["a", "b", "c", "d"]
    assert count(db, "SELECT count(*) FROM segments") == 4
    assert count(db, "SELECT surface FROM entity_aliases") == "after 4"
    # Nothing queued: the hook runs in a transaction of its own.
    batch_writer(db, on_last).flush()
    assert seen[-1] == []


def test_warehouse_batch_writer_failed_last_hook_leaves_the_last_batch_unwritten(
    warehouse_target,
):
    db = warehouse_target
    write(db, "c", 3)
    with warehouse.open_writer(db) as con:
        warehouse.replace_table(con, ENTITY_ALIASES, [alias_row("old")])

    def on_last(con, writes) -> None:
        warehouse.replace_rows(con, ENTITY_ALIASES, [alias_row("new")])
        raise RuntimeError("killed while rebuilding")

    writer = batch_writer(db, on_last)
    for e in "abc":
        writer.add(warehouse.PartitionWrite(e, "new", {"segments": [seg(e, 0, "new")]}))
    with pytest.raises(RuntimeError, match="killed"):
        writer.flush()
    assert count(db, "SELECT count(*) FROM segments WHERE text = 'new'") == 2  # a and b
    assert count(db, "SELECT count(*) FROM segments WHERE episode_id = 'c'") == 3
    assert count(db, "SELECT string_agg(surface) FROM entity_aliases") == "old"


def test_warehouse_reader_cannot_write(warehouse_target):
    db = warehouse_target
    write(db, "a", 1)
    with (
        warehouse.open_reader(db) as con,
        pytest.raises(duckdb.Error, match=r"read-only|attached in"),
    ):
        con.execute("DELETE FROM segments")
    assert count(db, "SELECT count(*) FROM segments") == 1


def test_warehouse_reader_of_missing_file_says_what_to_do(tmp_path):
    with (
        pytest.raises(warehouse.WarehouseMissingError, match="podcast-assets refresh"),
        warehouse.open_reader(tmp_path / "none.duckdb"),
    ):
        pass


def test_warehouse_file_of_a_newer_duckdb_says_how_to_rebuild(tmp_path, monkeypatch):
    """DuckDB's own refusal, as 1.5 words it for a file written by 2.0 (no 2.0 here to write
    one, and the header is checksummed, so the refusal is raised in its place)."""
    refusal = (
        "IO Error: Trying to read a database file with version number 999, but we can only "
        "read versions between 64 and 68.\nThe database file was created with an newer "
        "version of DuckDB."
    )

    def connect(*_, **__):
        raise duckdb.IOException(refusal)

    monkeypatch.setattr(duckdb, "connect", connect)
    with pytest.raises(warehouse.WarehouseVersionError, match="move the file aside") as raised:
        warehouse.open_writer(tmp_path / "old.duckdb").__enter__()
    assert str(tmp_path / "old.duckdb") in str(raised.value)
    cause = failures.classify_exception(raised.value)
    assert cause.exit_code == failures.ExitCode.UNAVAILABLE
    assert "newer DuckDB" in cause.kind


def test_warehouse_describes_itself(warehouse_target):
    db = warehouse_target
    write(db, "a", 1)
    with warehouse.open_reader(db) as con:
        described = {(t, c): comment for t, c, _, comment in warehouse.describe(con)}
        table_comments = dict(
            con.execute(
                "SELECT table_name, comment FROM duckdb_tables() "
                "WHERE database_name = current_database()"
            ).fetchall()
        )
    for table in TABLES:
        assert table_comments[table.name].startswith(table.grain)
        for column in table.columns:
            assert described[(table.name, column.name)] == column.description


def test_warehouse_describes_only_its_own_tables_and_views(warehouse_target):
    """DuckDB's internal catalog views (duckdb_columns, sqlite_master, ...) are left out."""
    db = warehouse_target
    write(db, "a", 1)
    with warehouse.open_reader(db) as con:
        rows = warehouse.describe(con)
    headers = {name: kind for name, column, kind, _ in rows if column == ""}
    assert headers == {
        **{t.name: "TABLE" for t in TABLES},
        "schema_info": "TABLE",
        **{v.name: "VIEW" for v in VIEWS},
    }
    assert {name for name, *_ in rows} == set(headers)


# Every name `podcast_assets.warehouse` offered before it became a package, minus the two
# helpers only tests used (`table`, `table_counts`), plus the feed reads, staleness and the
# refusal of a newer DuckDB's file.
PUBLIC_NAMES = (
    "DEFAULT_LOCK_TIMEOUT_S",
    "BatchWriter",
    "PartitionState",
    "PartitionWrite",
    "LakeUnavailableError",
    "WarehouseConflictError",
    "WarehouseLockedError",
    "WarehouseMissingError",
    "WarehouseVersionError",
    "clear_rejections",
    "describe",
    "display",
    "ensure_schema",
    "exists",
    "is_lake",
    "lake_location",
    "episode_keys_by_content",
    "load_episodes",
    "load_feed_items",
    "load_segments",
    "mention_name_counts",
    "mark_stale",
    "open_reader",
    "open_writer",
    "partition_states",
    "record_rejection",
    "rejections",
    "remove_partitions",
    "replace_rows",
    "replace_table",
    "replace_partitions",
    "retry_conflicts",
    "schema_ddl",
    "transaction",
)


def test_warehouse_package_keeps_every_public_name():
    assert sorted(warehouse.__all__) == sorted(PUBLIC_NAMES)
    for name in PUBLIC_NAMES:
        assert getattr(warehouse, name) is not None
    assert not hasattr(warehouse, "table") and not hasattr(warehouse, "table_counts")


HOLD = """
import duckdb, sys, time
con = duckdb.connect(sys.argv[1], read_only=True)
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
"""


def hold_lock(db, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "holding"
    return proc


@pytest.mark.slow
def test_warehouse_writer_waits_for_another_process_then_writes(tmp_path):
    db = tmp_path / "w.duckdb"
    write(db, "a", 1)
    proc = hold_lock(db, 1.0)
    started = time.monotonic()
    write(db, "b", 1)
    assert time.monotonic() - started >= 0.5
    proc.wait()
    assert count(db, "SELECT count(*) FROM segments") == 2


@pytest.mark.slow
def test_warehouse_writer_gives_up_with_a_clear_message(tmp_path):
    db = tmp_path / "w.duckdb"
    write(db, "a", 1)
    proc = hold_lock(db, 3.0)
    try:
        with (
            pytest.raises(warehouse.WarehouseLockedError, match="another process holds it"),
            warehouse.open_writer(db, lock_timeout_s=0.5),
        ):
            pass
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.slow
def test_lake_commit_conflict_is_redone_then_given_up_with_a_clear_message(lake_server, tmp_path):
    """Two writers replace different partitions of one table: the lake refuses the second
    commit (conflicts are per table); `retry_conflicts` redoes it, and says why it gives up."""
    from podcast_assets.warehouse import lake
    from podcast_assets_tests.conftest import new_lake

    db = new_lake(lake_server, tmp_path / "lake")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PODCAST_LAKE_DATA", str(tmp_path / "lake"))
        write(db, "a", 2)
        write(db, "b", 2)
        other = lake.connect(warehouse.lake_location(db), read_only=False, shared=False)
        attempts = []

        def replace_b(give_up_after: int | None = None) -> dict[str, int]:
            attempts.append(1)
            with warehouse.open_writer(db) as con, warehouse.transaction(con):
                con.execute("DELETE FROM segments WHERE episode_id = 'b'")
                con.execute(
                    "INSERT INTO segments BY NAME SELECT 'b' AS episode_id, 9 AS seq, "
                    "0 AS char_start, 'new' AS text"
                )
                if len(attempts) == 1 or give_up_after:  # the other writer commits first
                    other.execute("BEGIN")
                    other.execute("DELETE FROM segments WHERE episode_id = 'a'")
                    other.execute(
                        "INSERT INTO segments BY NAME SELECT 'a' AS episode_id, "
                        f"{len(attempts)} AS seq, 0 AS char_start, 'x' AS text"
                    )
                    other.execute("COMMIT")
            return {}

        warehouse.retry_conflicts(replace_b, "replacing b", timeout_s=30)
        assert len(attempts) == 2
        assert count(db, "SELECT count(*) FROM segments WHERE episode_id = 'b'") == 1
        assert count(db, "SELECT count(*) FROM segments WHERE episode_id = 'a'") == 1

        attempts.clear()
        with pytest.raises(warehouse.WarehouseConflictError, match="gave up replacing b") as e:
            # Long enough for a retry even when a loaded machine makes one attempt slow.
            warehouse.retry_conflicts(lambda: replace_b(give_up_after=1), "replacing b", 5.0)
        assert len(attempts) >= 2
        assert "fewer concurrent" in str(e.value)
        assert failures.classify_exception(e.value).kind == "lake commit conflicts"
        other.close()


def test_upkeep_merges_a_lakes_small_files_and_keeps_every_row(warehouse_target):
    """Ten commits leave ten files per table in a lake; upkeep merges them, rows untouched.
    On a file it checkpoints. Run through `warehouse_upkeep_job`, as the schedule runs it."""
    from podcast_assets.defs.maintenance import warehouse_upkeep_job
    from podcast_assets.defs.resources import WarehouseResource

    for i in range(10):  # 30 rows a commit: past DuckLake's inlining into the catalog
        write(warehouse_target, f"ep{i}", 30)
    result = warehouse_upkeep_job.execute_in_process(
        resources={"warehouse": WarehouseResource(path=str(warehouse_target))},
        run_config={"ops": {"compact_warehouse": {"config": {"retain_minutes": 0}}}},
    )
    assert result.success
    [output] = [
        e.step_output_data.metadata
        for e in result.all_events
        if e.event_type_value == "STEP_OUTPUT" and e.step_output_data
    ]
    meta = {k: v.value for k, v in output.items()}
    if warehouse.is_lake(warehouse_target):
        assert meta["backend"] == "ducklake"
        assert meta["files_before"] >= 10  # a segments file per commit (one-row ones inlined)
        assert meta["files_after"] <= meta["files_before"] / 2
        assert meta["snapshots_after"] < meta["snapshots_before"]
    else:
        assert meta["backend"] == "duckdb"
    assert count(warehouse_target, "SELECT count(*) FROM segments") == 300
    assert count(warehouse_target, "SELECT count(DISTINCT episode_id) FROM partition_state") == 10
