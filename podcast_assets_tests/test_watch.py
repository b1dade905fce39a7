"""`podcast-assets watch`: what starts a refresh, what restarts the watcher, and the command
itself on the samples (a real process, a real file-system watch, the real pipeline)."""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from podcast_assets import warehouse
from podcast_assets.preflight import RefreshSummary
from podcast_assets.runs import execute_here
from podcast_assets.watching import Changes, start_observer, watch_loop

from .conftest import SEED_PLAIN_881, SEED_TIMESTAMPED, SEEDS_DIR

CONSOLE_SCRIPT = str(Path(sys.executable).parent / "podcast-assets")
SETTLE_S = 0.15
# Long enough for inotify to deliver an event and the loop to act on it, several times over.
QUIET_S = 0.5


class Recorder:
    """A refresh that records when it ran, and the watcher's lines."""

    def __init__(self) -> None:
        self.refreshes: list[float] = []
        self.lines: list[str] = []
        self.ran = threading.Event()

    def refresh(self) -> RefreshSummary:
        self.refreshes.append(time.monotonic())
        self.ran.set()
        return RefreshSummary()

    def wait(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.refreshes) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.refreshes) >= count, f"{len(self.refreshes)} refreshes, wanted {count}"


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[tuple[Path, Path, Recorder, threading.Event, list[str]]]:
    """A watcher over tmp raw and code folders, its loop in a thread: (raw, code, recorder,
    stop, outcome)."""
    raw, code = tmp_path / "raw", tmp_path / "code"
    raw.mkdir()
    code.mkdir()
    changes = Changes(raw, code_dir=code)
    observer = start_observer(changes)
    recorder, stop, outcome = Recorder(), threading.Event(), []

    def loop() -> None:
        outcome.append(
            watch_loop(
                changes, recorder.refresh, recorder.lines.append, settle_s=SETTLE_S, stop=stop
            )
        )

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    recorder.wait(1)  # the refresh at start
    yield raw, code, recorder, stop, outcome
    stop.set()
    thread.join(timeout=5)
    observer.stop()


def test_watch_refreshes_at_start_and_once_per_settled_change(watched):
    raw, _, recorder, stop, outcome = watched
    for n in range(5):  # a copy in progress: several writes in quick succession
        (raw / "new.vtt").write_text(f"WEBVTT\n\n{n}\n", encoding="utf-8")
        time.sleep(0.03)
    recorder.wait(2)
    time.sleep(QUIET_S)
    assert len(recorder.refreshes) == 2
    (raw / "new.vtt").unlink()  # a removal is a change too: its rows must go
    recorder.wait(3)
    stop.set()
    deadline = time.monotonic() + 5
    while not outcome and time.monotonic() < deadline:
        time.sleep(0.05)
    assert outcome == ["stopped"]
    assert any(line.startswith("watching ") for line in recorder.lines)


def test_watch_ignores_hidden_files_and_other_folders(watched, tmp_path):
    raw, _, recorder, _, _ = watched
    (raw / ".episode.srt.swp").write_text("editor swap file", encoding="utf-8")
    (raw / "archive").mkdir()
    (raw / "archive" / "old.srt").write_text("1\n", encoding="utf-8")
    (tmp_path / "warehouse.duckdb").write_bytes(b"written by a refresh")
    time.sleep(QUIET_S)
    # The new sub-folder itself is an entry of the raw folder, so it may count once; what is
    # inside it, hidden files and files elsewhere never do.
    assert len(recorder.refreshes) <= 2
    settled = len(recorder.refreshes)
    (raw / "archive" / "older.srt").write_text("2\n", encoding="utf-8")
    (raw / ".another.swp").write_text("x", encoding="utf-8")
    time.sleep(QUIET_S)
    assert len(recorder.refreshes) == settled


def test_watch_restarts_when_the_code_changes_and_only_between_refreshes(watched):
    _, code, recorder, _, outcome = watched
    (code / "rules.py").write_text("X = 1\n", encoding="utf-8")
    deadline = time.monotonic() + 10
    while not outcome and time.monotonic() < deadline:
        time.sleep(0.05)
    assert outcome == ["restart"]
    assert len(recorder.refreshes) == 1  # no refresh ran on the old code after the change


def test_a_run_leaves_sigterm_as_it_was_where_sigint_is_ignored():
    """A job started with `&` from a script ignores SIGINT; Dagster, at the end of a run, gives
    SIGTERM the SIGINT handler, which made such a refresh unkillable by `kill`."""

    @dg.op
    def noop() -> None:
        pass

    @dg.job
    def tiny() -> None:
        noop()

    saved = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        tiny.execute_in_process(instance=dg.DagsterInstance.ephemeral())
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN  # Dagster's doing
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        assert execute_here(tiny, instance=dg.DagsterInstance.ephemeral()).success
        assert signal.getsignal(signal.SIGTERM) == signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, saved[0])
        signal.signal(signal.SIGTERM, saved[1])


def _read_until(proc: subprocess.Popen[str], needle: str, lines: list[str], timeout: float):
    """Lines of the watcher's output until one contains `needle` (the reader is a thread: a
    watcher that hangs fails the test instead of blocking it)."""
    done = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if needle in line:
                done.set()
                return

    threading.Thread(target=read, daemon=True).start()
    assert done.wait(timeout), f"no {needle!r} in {timeout} s:\n" + "\n".join(lines[-30:])


@pytest.mark.slow
def test_watch_command_refreshes_a_dropped_file_and_stops_on_sigterm(tmp_path):
    """As a user runs it from a script (`podcast-assets watch &`: SIGINT ignored)."""
    raw, home, db = tmp_path / "raw", tmp_path / "home", tmp_path / "warehouse.duckdb"
    raw.mkdir()
    home.mkdir()
    shutil.copyfile(SEEDS_DIR / SEED_TIMESTAMPED, raw / SEED_TIMESTAMPED)
    env = {**os.environ, "DAGSTER_HOME": str(home), "PODCAST_WAREHOUSE": str(db)}
    env["PODCAST_RAW_DIR"] = str(raw)
    proc = subprocess.Popen(
        [CONSOLE_SCRIPT, "watch", "--skip-search-index"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    lines: list[str] = []
    try:
        _read_until(proc, "watching ", lines, timeout=240)
        assert any("new 1" in line for line in lines)
        shutil.copyfile(SEEDS_DIR / SEED_PLAIN_881, raw / SEED_PLAIN_881)
        _read_until(proc, "watching ", lines, timeout=240)
        assert any("new 1, changed 0" in line and "unchanged 1" in line for line in lines)
        with warehouse.open_reader(db) as con:
            episodes = con.execute("SELECT episode_id FROM episodes ORDER BY 1").fetchall()
            mentions = con.execute("SELECT count(*) FROM mentions").fetchone()
        assert [e for (e,) in episodes] == sorted(
            name.removesuffix(".txt") for name in (SEED_TIMESTAMPED, SEED_PLAIN_881)
        )
        assert mentions is not None and mentions[0] > 0
        proc.send_signal(signal.SIGTERM)  # after two runs: still heard
        assert proc.wait(timeout=30) == 0
        assert proc.stdout is not None
        assert "watch stopped" in "\n".join(lines) + proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_watch_tries_a_failed_refresh_again_without_a_change(tmp_path):
    """A refresh that failed (another writer kept the warehouse past the lock timeout) is not
    left for the next change: the dropped file would wait for it."""
    raw = tmp_path / "raw"
    raw.mkdir()
    changes = Changes(raw, code_dir=tmp_path / "no-code")
    results: list[RefreshSummary | None] = [None, None, RefreshSummary()]
    calls: list[float] = []
    stop = threading.Event()

    def refresh() -> RefreshSummary | None:
        calls.append(time.monotonic())
        if len(calls) == len(results):
            stop.set()
        return results[len(calls) - 1]

    lines: list[str] = []
    outcome = watch_loop(changes, refresh, lines.append, settle_s=0.0, retry_s=0.2, stop=stop)
    assert outcome == "stopped" and len(calls) == 3
    assert all(b - a >= 0.2 for a, b in itertools.pairwise(calls))
    assert sum("trying again in 0.2 s" in line for line in lines) == 2


def test_watch_a_signal_during_a_refresh_ends_it_as_interrupted(tmp_path):
    """Ctrl-C or SIGTERM while idle stops the watcher (exit 0); inside a refresh, even
    outside its runs (scanning, planning), it is an interrupted refresh (exit 4)."""
    raw = tmp_path / "raw"
    raw.mkdir()

    def refresh() -> RefreshSummary | None:
        raise KeyboardInterrupt

    changes = Changes(raw, code_dir=tmp_path / "no-code")
    assert watch_loop(changes, refresh, lambda _: None, settle_s=0.0) == "interrupted"
