"""`podcast-assets refresh` as an operator meets it: killed, interrupted, blocked, out of disk,
on corrupt files, racing itself. Real processes, a real instance on disk, real files.

Each test runs the console script in a scratch DAGSTER_HOME with the repository's
`dagster.yaml`, as `make run` does.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from podcast_assets import warehouse
from podcast_assets.failures import ExitCode

from .conftest import REPO, SEED_PLAIN_881, SEEDS_DIR

pytestmark = pytest.mark.slow

CONSOLE_SCRIPT = str(Path(sys.executable).parent / "podcast-assets")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A DAGSTER_HOME laid out as the repository's: its dagster.yaml, state under .dagster/."""
    root = tmp_path / "home"
    root.mkdir()
    shutil.copy(REPO / "dagster.yaml", root / "dagster.yaml")
    return root


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PODCAST_")}
    return {**env, "DAGSTER_HOME": str(home), **extra}


def _refresh(
    home: Path, raw: Path, db: Path, *, timeout: float = 300, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CONSOLE_SCRIPT, "refresh", "--raw-dir", str(raw), "--warehouse", str(db)],
        cwd=home,
        env=_env(home, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


_STARTED: list[subprocess.Popen[str]] = []


@pytest.fixture(autouse=True)
def _no_refresh_outlives_its_test() -> Iterator[None]:
    """A refresh a test started and left running (it hung, the test failed) is killed."""
    yield
    while _STARTED:
        proc = _STARTED.pop()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def _start_refresh(home: Path, raw: Path, db: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [CONSOLE_SCRIPT, "refresh", "--raw-dir", str(raw), "--warehouse", str(db)],
        cwd=home,
        env=_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    _STARTED.append(proc)
    return proc


def _copies(raw: Path, n: int) -> list[str]:
    """`n` distinct plain transcripts (one seed, a different first line each)."""
    raw.mkdir(parents=True, exist_ok=True)
    text = (SEEDS_DIR / SEED_PLAIN_881).read_text(encoding="utf-8")
    for i in range(n):
        (raw / f"ep{i:02d}.txt").write_text(f"Copy number {i}.\n{text}", encoding="utf-8")
    return [f"ep{i:02d}" for i in range(n)]


def _wait_for_workers(proc: subprocess.Popen[str], n: int = 2, timeout: float = 180) -> list[int]:
    """Pids of the refresh's extraction workers (forked copies of the console script)."""
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"refresh ended before extraction started: {proc.stdout}"
        workers = [
            child.pid for child in parent.children() if CONSOLE_SCRIPT in " ".join(_cmdline(child))
        ]
        if len(workers) >= n:
            return workers
        time.sleep(0.2)
    raise AssertionError("the refresh never started its extraction workers")


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []


def _alive(pids: list[int]) -> list[int]:
    out = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.append(pid)
        except psutil.NoSuchProcess:
            pass
    return out


def _wait_gone(pids: list[int], timeout: float = 10) -> list[int]:
    deadline = time.monotonic() + timeout
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return _alive(pids)


def _states(db: Path) -> dict[str, set[str]]:
    with warehouse.open_reader(db) as con:
        return {
            episode_id: set(steps) for episode_id, steps in warehouse.partition_states(con).items()
        }


def test_reliability_sigkill_mid_extraction_orphans_nothing_and_the_next_refresh_finishes(
    home, tmp_path
):
    raw, db = tmp_path / "raw", tmp_path / "warehouse.duckdb"
    keys = _copies(raw, 6)
    proc = _start_refresh(home, raw, db)
    workers = _wait_for_workers(proc)
    proc.kill()
    proc.wait(timeout=30)

    assert _wait_gone(workers) == [], "extraction workers outlived the killed refresh"
    states = _states(db)
    unfinished = sorted(k for k in keys if "extract" not in states.get(k, set()))
    assert unfinished, "the kill came after extraction had finished; nothing was tested"

    second = _refresh(home, raw, db, timeout=600)
    print(second.stdout, second.stderr)
    assert second.returncode == ExitCode.OK, second.stdout + second.stderr
    assert "recovered: run" in second.stdout and "is gone" in second.stdout
    assert f"extracted: {len(unfinished)};" in second.stdout
    assert all(_states(db)[k] == {"ingest", "extract"} for k in keys)
    assert "Traceback" not in second.stdout + second.stderr


def test_reliability_sigterm_stops_a_refresh_mid_extraction_within_seconds(home, tmp_path):
    raw, db = tmp_path / "raw", tmp_path / "warehouse.duckdb"
    keys = _copies(raw, 6)
    proc = _start_refresh(home, raw, db)
    workers = _wait_for_workers(proc)
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=60)
    took = time.monotonic() - sent
    print(output, f"stopped {took:.1f} s after SIGTERM")

    assert proc.returncode == ExitCode.INTERRUPTED, output
    assert took < 30
    assert "interrupted" in output and "Traceback" not in output
    assert _wait_gone(workers) == []
    # What the summary says was written is what the warehouse holds.
    ingested = sum("ingest" in steps for steps in _states(db).values())
    assert f"episodes written: {ingested};" in output
    assert ingested == len(keys)


def _fake_run(home: Path, pid: int) -> str:
    """A STARTED run of refresh_job holding the writer slot, executed by process `pid`."""
    import dagster as dg
    from dagster._core.events import EngineEventData

    previous = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    cwd = os.getcwd()
    os.chdir(home)  # dagster.yaml's paths are relative to the working directory
    try:
        with dg.DagsterInstance.get() as instance:
            run_id = str(uuid.uuid4())
            instance.add_run(
                dg.DagsterRun(
                    job_name="refresh_job", run_id=run_id, status=dg.DagsterRunStatus.STARTED
                )
            )
            run = instance.get_run_by_id(run_id)
            assert run is not None
            instance.report_engine_event(
                f"Executing steps in process (pid: {pid})", run, EngineEventData.in_process(pid)
            )
            storage = instance.event_log_storage
            storage.initialize_concurrency_limit_to_default("warehouse_writer")
            assert storage.claim_concurrency_slot("warehouse_writer", run_id, "ingest").is_claimed
            return run_id
    finally:
        os.chdir(cwd)
        if previous is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = previous


def _run_status(home: Path, run_id: str) -> str:
    script = (
        "import dagster as dg; i = dg.DagsterInstance.get(); "
        f"print(i.get_run_by_id('{run_id}').status.value); "
        "print(sorted(i.event_log_storage.get_concurrency_run_ids()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=home, env=_env(home), capture_output=True, text=True
    )
    return out.stdout


@pytest.fixture
def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_reliability_a_dead_runs_slot_is_freed_and_the_refresh_goes_on(home, tmp_path, dead_pid):
    raw = tmp_path / "raw"
    raw.mkdir()
    run_id = _fake_run(home, dead_pid)

    result = _refresh(home, raw, tmp_path / "w.duckdb", timeout=120)

    assert result.returncode == ExitCode.OK, result.stdout + result.stderr
    assert f"run {run_id[:8]} of refresh_job (pid {dead_pid}) marked failed" in result.stdout
    status = _run_status(home, run_id)
    assert status.splitlines() == ["FAILURE", "[]"]


def test_reliability_a_live_writer_is_waited_for_aloud_then_given_up_on(home, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        run_id = _fake_run(home, holder.pid)
        started = time.monotonic()
        result = _refresh(home, raw, tmp_path / "w.duckdb", timeout=120, PODCAST_LOCK_TIMEOUT="6")
        took = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    output = result.stdout + result.stderr
    print(output)
    assert result.returncode == ExitCode.UNAVAILABLE
    assert f"waiting for run {run_id[:8]} of refresh_job (pid {holder.pid})" in output
    assert "gave up after 6 s" in output and "Traceback" not in output
    assert took < 60
    # The live run was left alone.
    assert _run_status(home, run_id).splitlines()[0] == "STARTED"


def test_reliability_sigterm_while_waiting_for_a_writer_stops_the_refresh(home, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        _fake_run(home, holder.pid)
        proc = _start_refresh(home, raw, tmp_path / "w.duckdb")
        deadline = time.monotonic() + 60
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:  # wait until it says it is waiting
            lines.append(line)
            if "waiting for run" in line or time.monotonic() > deadline:
                break
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=30)
        took = time.monotonic() - sent
    finally:
        holder.kill()
        holder.wait()
    output = "".join(lines) + rest
    assert proc.returncode == ExitCode.INTERRUPTED, output
    assert took < 10
    assert "Traceback" not in output


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MB tmpfs: a real full disk (needs root, as CI has; skipped elsewhere)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {made.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _big_transcript(path: Path, lines: int) -> None:
    words = (SEEDS_DIR / SEED_PLAIN_881).read_text(encoding="utf-8").split()
    with path.open("w", encoding="utf-8") as out:
        for i in range(lines):
            out.write(" ".join(words[(i * 13 + j) % len(words)] for j in range(12)) + "\n")


def test_reliability_a_full_disk_is_named_as_the_cause(home, small_disk):
    raw = small_disk / "raw"
    raw.mkdir()
    _big_transcript(raw / "big.txt", 40_000)  # ~2.7 MB: the warehouse cannot hold it

    result = _refresh(home, raw, small_disk / "w.duckdb", timeout=300)

    output = result.stdout + result.stderr
    print(output)
    assert result.returncode == ExitCode.UNAVAILABLE
    assert "disk full" in output and "No space left on device" in output
    assert "cannot rollback" not in output and "Traceback" not in output


def test_reliability_a_read_only_warehouse_directory_is_named_as_the_cause(home, small_disk):
    raw = small_disk / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text("Hello and welcome.\n", encoding="utf-8")
    remounted = subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=False)
    assert remounted.returncode == 0

    result = _refresh(home, raw, small_disk / "w.duckdb", timeout=120)

    output = result.stdout + result.stderr
    assert result.returncode == ExitCode.UNAVAILABLE, output
    assert "read-only" in output.lower() and "Traceback" not in output


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda path: path.write_bytes(os.urandom(300_000)), id="random-bytes"),
        pytest.param(
            lambda path: path.write_bytes(path.read_bytes()[: path.stat().st_size // 3]),
            id="truncated",
        ),
    ],
)
def test_reliability_a_corrupt_warehouse_is_named_as_the_cause(home, tmp_path, damage):
    raw = tmp_path / "raw"
    raw.mkdir()
    db = tmp_path / "w.duckdb"
    with warehouse.open_writer(db):
        pass  # a real warehouse file with the whole schema
    damage(db)

    result = _refresh(home, raw, db, timeout=120)

    output = result.stdout + result.stderr
    print(output)
    assert result.returncode == ExitCode.UNAVAILABLE, output
    assert str(db) in output or "w.duckdb" in output
    assert "Traceback" not in output


def test_reliability_a_corrupt_instance_is_named_as_the_cause(home, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    assert _refresh(home, raw, tmp_path / "w.duckdb", timeout=120).returncode == 0
    runs_db = home / ".dagster" / "storage" / "history" / "runs.db"
    assert runs_db.exists()
    runs_db.write_bytes(b"this is not a database" * 1000)
    # With nothing to do, the refresh answers before it opens the instance.
    assert _refresh(home, raw, tmp_path / "w.duckdb", timeout=120).returncode == 0
    (raw / "ep.txt").write_text("Hello and welcome to the show about gardens.\n")

    result = _refresh(home, raw, tmp_path / "w.duckdb", timeout=120)

    output = result.stdout + result.stderr
    print(output)
    assert result.returncode == ExitCode.UNAVAILABLE, output
    assert "corrupt instance" in output and "Traceback" not in output


def test_reliability_two_first_refreshes_on_a_fresh_home_both_succeed(home, tmp_path):
    procs = []
    for i in range(2):
        raw = tmp_path / f"raw{i}"
        raw.mkdir()
        procs.append(_start_refresh(home, raw, tmp_path / f"w{i}.duckdb"))
    outputs = [p.communicate(timeout=180)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert not any("already exists" in o or "Traceback" in o for o in outputs)


def _bomb(levels: int) -> bytes:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return ("---\n" + "\n".join(lines) + "\n---\n").encode()


def test_reliability_hostile_entries_are_rejected_by_name_and_the_good_file_goes_in(home, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "good.txt").write_text("Welcome to the show. Today we talk about gardens.\n")
    (raw / "deep.txt").write_bytes(b"---\nx: " + b"[" * 1000 + b"]" * 1000 + b"\n---\n")
    (raw / "laughs.txt").write_bytes(_bomb(9))
    (raw / "passwd.txt").symlink_to("/etc/passwd")
    os.mkfifo(raw / "pipe.txt")
    db = tmp_path / "w.duckdb"

    result = _refresh(home, raw, db, timeout=300)

    output = result.stdout + result.stderr
    print(output)
    assert result.returncode == ExitCode.REJECTED, output
    assert "Traceback" not in output
    with warehouse.open_reader(db) as con:
        errors = dict(con.execute("SELECT source_file, reason FROM ingest_errors").fetchall())
        texts = [t for (t,) in con.execute("SELECT text FROM segments").fetchall()]
        episodes = [e for (e,) in con.execute("SELECT episode_id FROM episodes").fetchall()]
    assert episodes == ["good"]
    assert sorted(errors) == ["deep.txt", "laughs.txt", "passwd.txt", "pipe.txt"]
    assert "outside the raw directory" in errors["passwd.txt"]
    assert "FIFO" in errors["pipe.txt"]
    assert "limit" in errors["deep.txt"] and "limit" in errors["laughs.txt"]
    assert not any("root:" in t for t in texts)
    for name in errors:
        assert name in output
