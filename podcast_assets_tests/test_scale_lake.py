"""The scale-out path end to end: 44 files into a DuckLake as 4 concurrent runs, one SIGKILLed.

A real PostgreSQL (started here, in a scratch directory) holds both the Dagster instance
(`instances/lake/dagster.yaml`) and the lake's catalog. While `podcast-assets refresh` runs
its four workers, a reader process queries the lake in a loop, and one worker is killed with
SIGKILL mid-run. Then: the reader saw no error; the killed run's partitions are missing or
whole, never half-written; the next refresh recovers the dead run and redoes them; in the end
every file's rows are there exactly once.

Marked `scale`: `make test` leaves it out (it takes about a minute), `make scale-check` and CI
run it alone, and it prints its figures.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from podcast_assets import warehouse
from podcast_assets.parsing import parse_bytes
from podcast_assets.rawfiles import episode_id_for
from podcast_assets_tests.conftest import REPO, SEED_PLAIN_881, SEEDS_DIR, new_database, new_lake

pytestmark = [pytest.mark.slow, pytest.mark.scale]

CONSOLE_SCRIPT = str(Path(sys.executable).parent / "podcast-assets")
FILES = 44
RUNS = 4

_READER = """
import json, sys, time
from podcast_assets import warehouse
target, stop, out = sys.argv[1], sys.argv[2], sys.argv[3]
latencies, errors, rows = [], [], []
import os
while not os.path.exists(stop):
    started = time.perf_counter()
    try:
        with warehouse.open_reader(target) as con:
            n = con.execute("SELECT count(*) FROM segments").fetchall()[0][0]
            con.execute("SELECT * FROM entity_leaderboard LIMIT 5").fetchall()
        latencies.append(time.perf_counter() - started)
        rows.append(n)
    except warehouse.WarehouseMissingError:
        pass  # before the first refresh created the lake's tables
    except Exception as exc:  # every other failure is what this test counts
        errors.append(f"{type(exc).__name__}: {exc}")
    time.sleep(0.05)
json.dump({"latencies": latencies, "errors": errors, "rows": rows}, open(out, "w"))
"""


def _write_corpus(raw: Path) -> dict[str, int]:
    """44 small transcripts (plain, SRT, WebVTT) cut from a sample's lines: file -> segments."""
    lines = [
        line.strip()
        for line in (SEEDS_DIR / SEED_PLAIN_881).read_text(encoding="utf-8").splitlines()
        if len(line.split()) >= 8
    ]
    raw.mkdir(parents=True)
    expected: dict[str, int] = {}
    for i in range(FILES):
        chunk = [lines[(i * 7 + k) % len(lines)] for k in range(12)]
        kind = ("txt", "srt", "vtt")[i % 3]
        name = f"show-{i:03d}.{kind}"
        if kind == "txt":
            text = "\n\n".join(chunk) + "\n"
        else:
            cues = []
            for k, line in enumerate(chunk):
                start, end = k * 5, k * 5 + 4
                sep = "," if kind == "srt" else "."
                stamp = f"00:00:{start:02d}{sep}000 --> 00:00:{end:02d}{sep}000"
                cues.append(f"{k + 1}\n{stamp}\n{line}" if kind == "srt" else f"{stamp}\n{line}")
            text = ("WEBVTT\n\n" if kind == "vtt" else "") + "\n\n".join(cues) + "\n"
        (raw / name).write_text(text, encoding="utf-8")
        parsed = parse_bytes(text.encode(), name)
        expected[episode_id_for(name)] = len(parsed.segments)  # type: ignore[union-attr]
    return expected


def _env(home: Path, pg_url: str, target: str, lake_data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PODCAST_", "DAGSTER_"))}
    return env | {
        "DAGSTER_HOME": str(home),
        "DAGSTER_PG_URL": pg_url,
        "DAGSTER_EVENT_BATCH_SIZE": "1000",
        "PODCAST_WAREHOUSE": target,
        "PODCAST_LAKE_DATA": str(lake_data),
        "PODCAST_CONCURRENT_RUNS": str(RUNS),
    }


def _workers(proc: subprocess.Popen[str]) -> list[psutil.Process]:
    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    return [c for c in children if "podcast_assets.parallel_runs" in " ".join(c.cmdline())]


def _kill_one_worker(
    proc: subprocess.Popen[str], target: str, timeout_s: float = 300
) -> tuple[int, tuple[str, ...]] | None:
    """SIGKILL a worker between its two commits (its files ingested, not yet extracted):
    (its pid, its partitions), or None if the refresh ended first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        for worker in _workers(proc):
            keys = tuple(json.loads(worker.cmdline()[-1])["keys"])
            try:
                with warehouse.open_reader(target) as con:
                    done = dict(
                        con.execute(
                            "SELECT step, count(*) FROM partition_state "
                            "WHERE list_contains(?, episode_id) GROUP BY ALL",
                            [list(keys)],
                        ).fetchall()
                    )
            except warehouse.WarehouseMissingError:
                continue
            if done.get("ingest") == len(keys) and not done.get("extract"):
                worker.send_signal(signal.SIGKILL)
                return worker.pid, keys
        time.sleep(0.1)
    return None


def _refresh(root: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [CONSOLE_SCRIPT, "refresh", "--raw-dir", str(root / "raw")],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _query(target: str, env: dict[str, str], sql: str) -> list[list[object]]:
    out = subprocess.run(
        [CONSOLE_SCRIPT, "sql", sql, "--format", "json", "--warehouse", target],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    return [list(row.values()) for row in json.loads(out)]


def test_lake_concurrent_refresh_survives_a_killed_worker_with_readers_looping(
    lake_server, tmp_path
):
    root = tmp_path
    expected = _write_corpus(root / "raw")
    home = root / "home"
    home.mkdir()
    shutil.copy(REPO / "instances" / "lake" / "dagster.yaml", home / "dagster.yaml")
    instance_url = new_database(lake_server, "dagster")
    target = new_lake(lake_server, root / "lake")
    env = _env(home, instance_url, target, root / "lake")

    stop, report = root / "stop-reader", root / "reader.json"
    reader = subprocess.Popen(
        [sys.executable, "-c", _READER, target, str(stop), str(report)],
        env=env,
        cwd=REPO,
    )
    started = time.monotonic()
    first = _refresh(root, env)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PODCAST_LAKE_DATA", str(root / "lake"))
        killed = _kill_one_worker(first, target)
    first_out, _ = first.communicate(timeout=600)
    first_s = time.monotonic() - started

    started = time.monotonic()
    second = _refresh(root, env)
    second_out, _ = second.communicate(timeout=600)
    second_s = time.monotonic() - started
    stop.touch()
    reader.wait(timeout=120)
    seen = json.loads(report.read_text())

    assert killed is not None, f"the refresh ended before a worker could be killed:\n{first_out}"
    assert first.returncode != 0, first_out  # a run failed: the killed one
    assert second.returncode == 0, second_out
    assert "marked failed" in second_out, second_out  # the dead run, recovered
    # Only the killed run's partitions were left to do, and only their extraction.
    assert f"(new 0, changed 0, stale {len(killed[1])}," in second_out, second_out
    assert "extract only" in second_out and "ingest+extract" not in second_out, second_out

    per_file = dict(_query(target, env, "SELECT episode_id, count(*) FROM segments GROUP BY ALL"))
    assert per_file == expected  # every file, every segment: nothing lost
    dupes = _query(
        target,
        env,
        "SELECT count(*) FROM (SELECT episode_id, seq FROM segments GROUP BY ALL "
        "HAVING count(*) > 1)",
    )
    assert dupes == [[0]]  # nothing duplicated
    states = _query(
        target,
        env,
        "SELECT step, count(DISTINCT episode_id), count(*) FROM partition_state "
        "GROUP BY ALL ORDER BY ALL",
    )
    assert states == [["extract", FILES, FILES], ["ingest", FILES, FILES]]
    assert seen["errors"] == [], seen["errors"][:5]
    assert seen["latencies"], "the reader never read the lake"
    # The reader only ever saw whole commits: counts never went down.
    assert seen["rows"] == sorted(seen["rows"])

    latencies = sorted(seen["latencies"])
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print(
        f"\nscale-check: {FILES} files, {RUNS} concurrent runs, one worker SIGKILLed\n"
        f"  first refresh (with the kill): {first_s:.1f} s, exit {first.returncode}\n"
        f"  second refresh (recovery + redo): {second_s:.1f} s\n"
        f"  reader: {len(latencies)} queries, 0 errors, median "
        f"{statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms\n"
        f"  rows: {sum(per_file.values())} segments in {len(per_file)} partitions, 0 duplicates"
    )
