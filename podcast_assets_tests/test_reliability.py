"""Reliability with real processes and the real DuckDB file: crashes, concurrent readers,
idempotence, hostile input, and the read-only query command.

Each test prints its figures (kill points, queries, errors, peak RSS); run with `-s` to see
them.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from podcast_assets import parsing, warehouse
from podcast_assets.rawfiles import episode_id_for
from podcast_assets.schema import EPISODE_TABLES, SEGMENTS
from podcast_assets.views import VIEWS

from .conftest import ALIAS_SPELLINGS, SEED_PLAIN_881, SEED_TIMESTAMPED, SEEDS_DIR, copy_seeds

pytestmark = pytest.mark.slow

PYTHON = sys.executable
CONSOLE_SCRIPT = str(Path(sys.executable).parent / "podcast-assets")
PARTS = ("p0", "p1", "p2")

# Writes one partition per transaction, cycling through PARTS, with a row count that differs
# per version and the version as a marker in every row and in partition_state. It prints
# `begin <part> <version> <rows>` before opening the file and `commit ...` after closing it,
# then pauses.
WRITER = """
import sys, time
from podcast_assets import warehouse
from podcast_assets.schema import SEGMENTS

db, first, last, base = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
pause = float(sys.argv[5])  # seconds between writes, like the NLP between a refresh's flushes
parts = ("p0", "p1", "p2")
print("ready", flush=True)
for version in range(first, last + 1):
    part, marker = parts[version % 3], f"v{version}"
    n = base + (version * 7919) % 997
    rows = [
        {"episode_id": part, "seq": i, "char_start": i, "text": marker} for i in range(n)
    ]
    print(f"begin {part} {version} {n}", flush=True)
    with warehouse.open_writer(db, lock_timeout_s=60) as con:
        warehouse.replace_partitions(
            con, "ingest", "1", [SEGMENTS],
            [warehouse.PartitionWrite(part, marker, {"segments": rows})],
        )
    print(f"commit {part} {version} {n}", flush=True)
    time.sleep(pause)
"""

# Runs one query per read-only connection, as `podcast-assets sql` does, until told to stop,
# pausing between queries; prints each result as a JSON line, then a summary line. (DuckDB's
# lock has no queue: a reader that never pauses can keep a writer waiting for long.)
READER = """
import json, sys, time
from pathlib import Path
from podcast_assets import warehouse

db, stop, sql, pause = sys.argv[1], Path(sys.argv[2]), sys.argv[3], float(sys.argv[4])
queries = errors = 0
while not stop.exists():
    try:
        with warehouse.open_reader(db, lock_timeout_s=60) as con:
            con.execute("SET enable_progress_bar = false").fetchall()  # it prints to stdout
            rows = con.execute(sql).fetchall()
        queries += 1
        print(json.dumps({"rows": rows}, default=str), flush=True)
    except Exception as exc:
        errors += 1
        print(json.dumps({"error": repr(exc)}), flush=True)
    time.sleep(pause)
print(json.dumps({"queries": queries, "errors": errors}), flush=True)
"""

# Ingest one file in a fresh process and report its peak RSS: VmHWM on Linux (ru_maxrss
# there also counts the forked parent's memory), else ru_maxrss.
INGEST = """
import json, resource, sys
from pathlib import Path
from podcast_assets import steps

def peak_mb():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    unit = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, else KiB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit / 2**20

before = peak_mb()
path = Path(sys.argv[1])
report = steps.ingest.ingest_files(Path(sys.argv[2]), [(path.stem, path)])
print(json.dumps({
    "rows": report.rows,
    "rejected": [r.reason for r in report.rejected],
    "rss_after_imports_mb": before,
    "peak_rss_mb": peak_mb(),
}))
"""


def segments_of(part: str, version: int, n: int) -> dict[str, Any]:
    return {
        "segments": [
            {"episode_id": part, "seq": i, "char_start": i, "text": f"v{version}"} for i in range(n)
        ]
    }


def write_version(db: Path, part: str, version: int, n: int) -> None:
    with warehouse.open_writer(db) as con:
        warehouse.replace_partitions(
            con,
            "ingest",
            "1",
            [SEGMENTS],
            [warehouse.PartitionWrite(part, f"v{version}", segments_of(part, version, n))],
        )


PARTITION_SQL = """
    SELECT s.episode_id, count(*) AS n, count(DISTINCT s.text) AS markers,
        min(s.text) AS marker, any_value(p.content_sha256) AS state
    FROM segments s
    LEFT JOIN partition_state p ON p.episode_id = s.episode_id AND p.step = 'ingest'
    GROUP BY s.episode_id ORDER BY 1
"""


def partitions(db: Path) -> dict[str, tuple[int, int, str, str]]:
    """episode_id -> (rows, distinct markers, marker, partition_state's sha)."""
    with warehouse.open_reader(db) as con:
        return {r[0]: tuple(r[1:]) for r in con.execute(PARTITION_SQL).fetchall()}


class Lines:
    """A child's stdout lines, drained by a thread so the child never blocks on the pipe."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._drain, args=(proc,), daemon=True)
        self._thread.start()

    def _drain(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            self.lines.append(line.strip())
            if line.strip() == "ready":
                self._ready.set()

    def wait_ready(self, timeout: float = 30) -> None:
        assert self._ready.wait(timeout), f"child never got ready: {self.lines}"

    def join(self) -> list[str]:
        self._thread.join(timeout=10)
        return self.lines


def spawn(code: str, *args: object, stdout: Any = subprocess.PIPE) -> subprocess.Popen:
    return subprocess.Popen(
        [PYTHON, "-c", code, *map(str, args)], stdout=stdout, stderr=subprocess.PIPE, text=True
    )


# --- crash safety -------------------------------------------------------------------------

KILL_POINTS = 6
CRASH_ROWS = 150_000


def test_reliability_sigkill_mid_write_never_leaves_a_mix(tmp_path):
    seed = int(os.environ.get("PODCAST_CRASH_SEED", time.time_ns() % 100_000))
    rng = random.Random(seed)
    db = tmp_path / "w.duckdb"
    # version -> rows, for every version any process ever began
    sizes: dict[int, int] = {}
    committed: dict[str, int] = {}  # part -> last version known committed
    for i, part in enumerate(PARTS):
        sizes[i] = 1000 + i
        write_version(db, part, i, sizes[i])
        committed[part] = i
    mid_write = rows_lost = 0
    for kill in range(KILL_POINTS):
        first = (kill + 1) * 1000
        proc = spawn(WRITER, db, first, first + 500, CRASH_ROWS, 0)
        out = Lines(proc)
        out.wait_ready()
        time.sleep(rng.uniform(0.2, 1.2))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        lines = out.join()
        in_flight: dict[str, int] = {}
        for line in lines[1:]:
            event, part, version, n = line.split()
            sizes[int(version)] = int(n)
            if event == "begin":
                in_flight[part] = int(version)
            else:
                committed[part] = int(version)
                in_flight.pop(part, None)
        mid_write += bool(lines[-1].startswith("begin"))
        context = f"seed {seed}, kill {kill}, last lines {lines[-2:]}"

        # A reader opens the file right after the crash, as `podcast-assets sql` would.
        state = partitions(db)
        assert set(state) == set(PARTS), context
        for part, (n, markers, marker, sha) in state.items():
            version = int(marker[1:])
            assert markers == 1, f"{part} mixes versions ({context})"
            assert n == sizes[version], f"{part} v{version} has {n} of {sizes[version]} rows"
            assert sha == marker, f"{part}: partition_state says {sha}, rows say {marker}"
            if version < committed[part]:  # a write reported as committed is gone
                rows_lost += sizes[committed[part]]
            assert version in (committed[part], in_flight.get(part)), f"{rows_lost=}, {context}"
            committed[part] = version
        # ... and the next write completes.
        part = PARTS[kill % 3]
        write_version(db, part, first + 999, 777)
        assert partitions(db)[part] == (777, 1, f"v{first + 999}", f"v{first + 999}")
        committed[part] = first + 999
        sizes[first + 999] = 777
    print(
        f"\ncrash safety: {KILL_POINTS} kill points (seed {seed}), {mid_write} inside a write "
        f"(file open, transaction or checkpoint), rows lost: {rows_lost}"
    )
    assert rows_lost == 0
    assert mid_write >= 1, "no kill landed inside a write; raise CRASH_ROWS"


# --- concurrency: a reader during writes -----------------------------------------------


def run_reader(db: Path, stop: Path, sql: str, out: Path, pause: float) -> subprocess.Popen:
    return spawn(READER, db, stop, sql, pause, stdout=out.open("w"))


def reader_results(proc: subprocess.Popen, stop: Path, out: Path) -> tuple[list, dict]:
    stop.touch()
    _, err = proc.communicate(timeout=120)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    summary = lines.pop()
    assert "queries" in summary, f"reader died: {err}"
    errors = [line["error"] for line in lines if "error" in line]
    assert not errors, errors[:3]
    return [line["rows"] for line in lines], summary


def test_reliability_reader_sees_whole_partitions_while_a_writer_loops(tmp_path):
    db = tmp_path / "w.duckdb"
    sizes: dict[int, int] = {}
    for i, part in enumerate(PARTS):
        sizes[i] = 500 + i
        write_version(db, part, i, sizes[i])
    stop, out = tmp_path / "stop", tmp_path / "reader.jsonl"
    reader = run_reader(db, stop, PARTITION_SQL, out, pause=0.005)
    writer = spawn(WRITER, db, 10, 29, 5_000, 0.05)
    lines, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    observations, summary = reader_results(reader, stop, out)
    for line in lines.splitlines()[1:]:
        _, _, version, n = line.split()
        sizes[int(version)] = int(n)
    states = set()
    for rows in observations:
        assert [r[0] for r in rows] == list(PARTS)
        for _, n, markers, marker, sha in rows:
            assert markers == 1 and sha == marker and n == sizes[int(marker[1:])], rows
        states.add(tuple(r[3] for r in rows))
    print(
        f"\nwriter loop: 20 writes; reader ran {summary['queries']} queries, "
        f"{summary['errors']} errors, saw {len(states)} distinct states"
    )
    assert summary["queries"] >= 10 and summary["errors"] == 0
    assert len(states) >= 2, "the reader never saw a write land"


# --- a real refresh: samples, the same content under hostile names, two spellings ---------

# The timestamped episode again, under a name with quotes, spaces, unicode and SQL fragments:
# one renamed copy is enough, and keeps the refresh short.
HOSTILE_COPIES = {
    "  O'Brien \"ep 1\"; DROP TABLE episodes;-- ünïcödé 🎙 ' OR '1'='1.txt": SEED_TIMESTAMPED,
}


def episode_counts_sql() -> str:
    """Rows per table and partition, partition_state per step, rows per view, and
    `entity_aliases` rows (derived from every partition's mentions)."""
    per_table = [
        f"SELECT '{t.name}' AS what, episode_id, count(*) AS n FROM {t.name} GROUP BY ALL"
        for t in EPISODE_TABLES
    ]
    per_step = ["SELECT 'state:' || step, episode_id, count(*) FROM partition_state GROUP BY ALL"]
    per_view = [f"SELECT 'view:{v.name}', NULL, count(*) FROM {v.name}" for v in VIEWS]
    aliases = ["SELECT 'entity_aliases', NULL, count(*) FROM entity_aliases"]
    return " UNION ALL ".join(per_table + per_step + per_view + aliases)


def as_counts(rows: list[list[Any]]) -> dict[tuple[str, str | None], int]:
    return {(what, eid): n for what, eid, n in rows}


def query(db: Path, sql: str) -> list[tuple]:
    with warehouse.open_reader(db) as con:
        return con.execute(sql).fetchall()


def run_cli(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    for name in ("PODCAST_RAW_DIR", "PODCAST_WAREHOUSE"):
        env.pop(name, None)
    return subprocess.run(
        [CONSOLE_SCRIPT, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory) -> Iterator[dict[str, Any]]:
    """`podcast-assets refresh` of the samples, a renamed copy and two spellings of one name
    (so `entity_aliases` has a row), with a reader running."""
    root = tmp_path_factory.mktemp("reliability")
    raw, home = root / "raw", root / "dagster-home"
    copy_seeds(raw)
    for name, text in ALIAS_SPELLINGS.items():
        (raw / name).write_text(text, encoding="utf-8")
    home.mkdir()
    for name, original in HOSTILE_COPIES.items():
        shutil.copyfile(SEEDS_DIR / original, raw / name)
    db = root / "warehouse.duckdb"
    with warehouse.open_writer(db):
        pass  # an existing, empty warehouse, as after a first `make run` on an empty folder
    stop, out = root / "stop", root / "reader.jsonl"
    sql = episode_counts_sql()
    reader = run_reader(db, stop, sql, out, pause=0.1)
    started = time.monotonic()
    result = run_cli("refresh", "--raw-dir", str(raw), "--warehouse", str(db), cwd=root, home=home)
    seconds = time.monotonic() - started
    observations, summary = reader_results(reader, stop, out)
    yield {
        "root": root,
        "raw": raw,
        "db": db,
        "home": home,
        "result": result,
        "seconds": seconds,
        "observations": observations,
        "reader": summary,
        "final": as_counts([list(r) for r in query(db, sql)]),
    }


def test_reliability_refresh_with_a_reader_succeeds(refreshed):
    result = refreshed["result"]
    assert result.returncode == 0, result.stdout + result.stderr
    assert "files rejected: 0" in result.stdout
    assert "episodes written: 7; extracted: 7" in result.stdout


def test_reliability_reader_during_refresh_sees_only_committed_states(refreshed):
    final = refreshed["final"]
    ids = {eid for (what, eid) in final if what == "episodes"}
    assert len(ids) == 7
    aliases = final[("entity_aliases", None)]
    assert aliases > 0
    spellings = [episode_id_for(name) for name in ALIAS_SPELLINGS]
    states = set()
    for rows in refreshed["observations"]:
        seen = as_counts(rows)
        assert set(seen) <= set(final), set(seen) - set(final)
        for key, n in final.items():
            assert seen.get(key, 0) in (0, n), f"{key}: {seen.get(key)} rows, final {n}"
        for eid in ids:
            # A step's rows and its partition_state row land in one transaction.
            ingested = seen.get(("state:ingest", eid), 0)
            extracted = seen.get(("state:extract", eid), 0)
            for table in ("episodes", "segments"):
                assert seen.get((table, eid), 0) == ingested * final.get((table, eid), 0)
            for table in ("mentions", "quotes", "topics"):
                assert seen.get((table, eid), 0) == extracted * final.get((table, eid), 0)
        # The aliases of the two spellings commit with the extract step's last mentions:
        # never the mentions of both with the aliases of before.
        both = all(seen.get(("state:extract", eid)) for eid in spellings)
        assert seen.get(("entity_aliases", None), 0) == (aliases if both else 0)
        states.add(tuple(sorted(seen.items())))
    summary = refreshed["reader"]
    print(
        f"\nrefresh ({refreshed['seconds']:.1f} s) with a reader: {summary['queries']} queries, "
        f"{summary['errors']} errors, {len(states)} distinct states seen"
    )
    assert summary["errors"] == 0
    assert summary["queries"] >= 20


def test_reliability_hostile_file_names_are_safe_partition_keys(refreshed):
    db = refreshed["db"]
    stored = dict(query(db, "SELECT source_file, episode_id FROM episodes"))
    for name, original in HOSTILE_COPIES.items():
        eid = episode_id_for(name)
        assert stored[name] == eid  # the name round-trips exactly, the key is a slug
        assert all(c.isascii() and (c.isalnum() or c in "-_") for c in eid)
        for table in EPISODE_TABLES:
            copy = refreshed["final"].get((table.name, eid), 0)
            assert copy == refreshed["final"].get((table.name, Path(original).stem), 0), table
    assert query(db, "SELECT count(*) FROM episodes") == [(7,)]  # no table was dropped
    # The key is a plain slug: safe to quote in a query.
    eid = episode_id_for(next(iter(HOSTILE_COPIES)))
    result = run_cli(
        "sql",
        f"SELECT source_file FROM episodes WHERE episode_id = '{eid}'",
        "--warehouse",
        str(db),
        "--format",
        "json",
        cwd=refreshed["root"],
        home=refreshed["home"],
    )
    assert json.loads(result.stdout) == [{"source_file": next(iter(HOSTILE_COPIES))}]


def view_snapshot(db: Path) -> dict[str, list[str]]:
    """Every view's rows, minus the columns that name the files a row came from or say when
    they were ingested (a copy ingested a moment earlier may own an undated episode's time)."""
    out: dict[str, list[str]] = {}
    drop = {"episode_id", "episode_ids", "source_files", "record_episode_id"}
    drop |= {"first_ingested_at", "first_seen", "last_seen"}
    with warehouse.open_reader(db) as con:
        for view in VIEWS:
            result = con.execute(f"SELECT * FROM {view.name}")
            names = [d[0] for d in result.description]
            out[view.name] = sorted(
                repr([v for c, v in zip(names, row, strict=True) if c not in drop])
                for row in result.fetchall()
            )
    return out


def test_reliability_same_content_under_two_names_adds_no_view_row(refreshed, tmp_path):
    db = tmp_path / "copy.duckdb"
    shutil.copyfile(refreshed["db"], db)
    with_copies = view_snapshot(db)
    with warehouse.open_writer(db) as con:
        warehouse.remove_partitions(con, [episode_id_for(n) for n in HOSTILE_COPIES])
    assert view_snapshot(db) == with_copies
    assert query(db, "SELECT count(*) FROM episode_catalog") == [(5,)]


def test_reliability_refreshing_the_same_files_again_duplicates_nothing(refreshed, tmp_path):
    from podcast_assets import steps
    from podcast_assets.extraction import load_pipeline

    before = refreshed["final"]
    again = run_cli(
        "refresh",
        "--raw-dir",
        str(refreshed["raw"]),
        "--warehouse",
        str(refreshed["db"]),
        cwd=refreshed["root"],
        home=refreshed["home"],
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "nothing to do" in again.stdout
    assert as_counts([list(r) for r in query(refreshed["db"], episode_counts_sql())]) == before
    # Force both steps to write every file a second time, on a copy of the warehouse.
    db = tmp_path / "copy.duckdb"
    shutil.copyfile(refreshed["db"], db)
    views_before = view_snapshot(db)
    files = sorted((episode_id_for(p.name), p) for p in refreshed["raw"].iterdir())
    steps.ingest.ingest_files(db, files)
    steps.extract.extract_partitions(db, [eid for eid, _ in files], load_pipeline())
    assert as_counts([list(r) for r in query(db, episode_counts_sql())]) == before
    assert view_snapshot(db) == views_before


# --- hostile input: size -----------------------------------------------------------------


def ingest_in_child(path: Path, db: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [PYTHON, "-c", INGEST, str(path), str(db)], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_reliability_a_transcript_near_the_limit_is_ingested_in_bounded_memory(tmp_path):
    sample = (SEEDS_DIR / SEED_PLAIN_881).read_bytes() + b"\n"
    path = tmp_path / "huge.txt"
    path.write_bytes(sample * ((parsing.MAX_FILE_BYTES - 2**20) // len(sample)))
    size_mb = path.stat().st_size / 2**20
    assert path.stat().st_size < parsing.MAX_FILE_BYTES  # under the limit: it is accepted
    report = ingest_in_child(path, tmp_path / "w.duckdb")
    print(
        f"\n{size_mb:.0f} MB transcript: ingested {report['rows']}, peak RSS "
        f"{report['peak_rss_mb']:.0f} MB ({report['rss_after_imports_mb']:.0f} MB after imports)"
    )
    assert report["rejected"] == []
    assert report["rows"]["segments"] > 20_000
    # Bounded: beyond the fixed costs (DuckDB, the language detector's model: measured by
    # ingesting a one-line file long enough to be classified), parsing and the Arrow insert
    # cost a small multiple of the file, no more.
    (tmp_path / "tiny.txt").write_text(
        "Welcome to the Tiny Show, where we talk about gardens and the weather every week.\n"
    )
    tiny = ingest_in_child(tmp_path / "tiny.txt", tmp_path / "tiny.duckdb")
    assert report["peak_rss_mb"] - tiny["peak_rss_mb"] < 15 * size_mb


def test_reliability_a_50_mb_file_is_rejected_with_a_clear_reason(tmp_path):
    sample = (SEEDS_DIR / SEED_PLAIN_881).read_bytes() + b"\n"
    path = tmp_path / "fifty.txt"
    path.write_bytes(sample * (50 * 2**20 // len(sample) + 1))
    report = ingest_in_child(path, tmp_path / "w.duckdb")
    (reason,) = report["rejected"]
    assert reason.startswith("fifty.txt: file is ") and "-byte limit for one episode" in reason


def oversized_file(tmp_path: Path, size: int = parsing.MAX_FILE_BYTES + 1) -> Path:
    path = tmp_path / "too big.txt"
    with path.open("wb") as handle:  # sparse: costs no disk
        handle.truncate(size)
    return path


def test_reliability_a_file_over_the_limit_is_rejected_with_its_size(tmp_path):
    report = ingest_in_child(oversized_file(tmp_path), tmp_path / "w.duckdb")
    print(f"\nfile over MAX_FILE_BYTES: rejected, peak RSS {report['peak_rss_mb']:.0f} MB")
    (reason,) = report["rejected"]
    assert reason == (
        f"too big.txt: file is {parsing.MAX_FILE_BYTES + 1:,} bytes, over the "
        f"{parsing.MAX_FILE_BYTES:,}-byte limit for one episode"
    )
    with warehouse.open_reader(tmp_path / "w.duckdb") as con:
        assert con.execute("SELECT reason FROM ingest_errors").fetchall() == [(reason,)]


def test_reliability_a_file_over_the_limit_is_rejected_without_reading_it(tmp_path):
    """Rejecting a 256 MiB file costs what rejecting an empty one does (DuckDB's own memory)."""
    (tmp_path / "empty.txt").write_bytes(b"")
    empty = ingest_in_child(tmp_path / "empty.txt", tmp_path / "a.duckdb")
    huge = ingest_in_child(
        oversized_file(tmp_path, 4 * parsing.MAX_FILE_BYTES), tmp_path / "b.duckdb"
    )
    assert empty["rejected"] and huge["rejected"]
    print(
        f"\nrejecting a {4 * parsing.MAX_FILE_BYTES / 2**20:.0f} MiB file: peak RSS "
        f"{huge['peak_rss_mb']:.0f} MB (an empty file: {empty['peak_rss_mb']:.0f} MB)"
    )
    assert huge["peak_rss_mb"] - empty["peak_rss_mb"] < 32


# --- the query command never writes ------------------------------------------------------


def test_reliability_sql_delete_fails_clearly_and_changes_nothing(tmp_path):
    db = tmp_path / "w.duckdb"
    write_version(db, "p0", 1, 10)
    with warehouse.open_writer(db) as con:
        con.execute(
            "INSERT INTO episodes BY NAME SELECT 'p0' AS episode_id, 'k' AS episode_key, "
            "'plain_transcript' AS source_format, 'p0.txt' AS source_file, "
            "'s' AS content_sha256, 'utf-8' AS encoding, now() AS ingested_at, "
            "'transcript' AS metadata_source, false AS timed, 0 AS speaker_count"
        ).fetchall()
    result = run_cli(
        "sql", "DELETE FROM episodes", "--warehouse", str(db), cwd=tmp_path, home=tmp_path
    )
    assert result.returncode == 2  # refused before it ran: a usage error
    assert result.stdout == ""
    assert "refused: DELETE writes" in result.stderr
    assert "`podcast-assets sql` never writes" in result.stderr
    assert query(db, "SELECT count(*) FROM episodes") == [(1,)]
