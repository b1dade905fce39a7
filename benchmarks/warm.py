"""Phase e of `make bench`: one changed file refreshed by a warm `podcast-assets watch`.

The watcher starts on the benchmark's warehouse (its first refresh has nothing to do), then
one transcript is changed `repeats` times; each time is measured from the write to the
watcher's next "watching" line, which it prints when the refresh (runs and summary) is over.
That includes the watcher's settle time (it waits for the folder to be quiet before it
refreshes), so it is the latency a user sees. Peak memory is the watcher's whole process tree.
"""

from __future__ import annotations

import queue
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.memory import peak_memory

READY = "watching "
START_TIMEOUT_S = 900.0  # the first refresh scans and plans the whole corpus
REFRESH_TIMEOUT_S = 300.0


def warm_one_file(
    touch: Callable[[], str], env: dict[str, str], cwd: Path, repeats: int = 3
) -> dict[str, Any]:
    """Seconds from each change to the end of its refresh, and the watcher's peak PSS."""
    from podcast_assets.watching import DEFAULT_SETTLE_S

    proc = subprocess.Popen(
        [sys.executable, "-m", "podcast_assets.cli", "watch"],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[tuple[float, str]] = queue.Queue()
    threading.Thread(target=_read, args=(proc, lines), daemon=True).start()
    started = time.perf_counter()
    output: list[str] = []
    try:
        with peak_memory(proc.pid) as peak:
            _until_ready(lines, output, START_TIMEOUT_S)
            ready_s = time.perf_counter() - started
            seconds, changed = [], ""
            for _ in range(repeats):
                time.sleep(1.0)  # the previous refresh's last events are in
                changed = touch()
                began = time.perf_counter()
                seconds.append(_until_ready(lines, output, REFRESH_TIMEOUT_S) - began)
    finally:
        proc.send_signal(signal.SIGTERM)
        exit_code = proc.wait(timeout=60)
    return {
        "changed": changed,
        "seconds": [round(s, 2) for s in seconds],
        "median_s": round(statistics.median(seconds), 2),
        "settle_s": DEFAULT_SETTLE_S,
        "start_to_ready_s": round(ready_s, 2),
        "peak_pss_mb": round(peak.pss / 2**20),
        "exit_code": exit_code,
        "summary": [line for line in output if "files seen" in line or "episodes written" in line][
            -2:
        ],
    }


def _read(proc: subprocess.Popen[str], lines: queue.Queue[tuple[float, str]]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.put((time.perf_counter(), line.rstrip("\n")))


def _until_ready(lines: queue.Queue[tuple[float, str]], output: list[str], timeout: float) -> float:
    """When the next READY line was printed; its output goes to `output`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            at, line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            raise RuntimeError(
                f"the watcher printed no {READY!r} within {timeout:g} s:\n"
                + "\n".join(output[-20:])
            ) from None
        output.append(line)
        if line.startswith(READY):
            return at
