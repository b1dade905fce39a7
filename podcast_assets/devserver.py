"""`podcast-assets ui`: the Dagster webserver and daemon, the two processes of `dagster dev`.

`dagster dev` is superseded by `dg dev` (a separate CLI that pins another Dagster release),
and it says so on every start. The UI needs only what it ran: the webserver, which serves
the UI and launches runs, and the daemon, which runs the sensor, the schedule, the run queue
and run monitoring. Both see the same workspace and instance; stopping one stops the other.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

_STOP_TIMEOUT_S = 15.0


def commands(workspace: str, host: str, port: int) -> list[list[str]]:
    """The daemon first (it must be up before the first run is queued), then the webserver."""
    return [
        [_script("dagster-daemon"), "run", "-w", workspace],
        [sys.executable, "-m", "dagster_webserver", "-w", workspace, "-h", host, "-p", str(port)],
    ]


def _script(name: str) -> str:
    """A console script of this environment, beside the interpreter that runs us."""
    candidate = Path(sys.executable).with_name(name)
    return str(candidate) if candidate.exists() else name


def serve(workspace: str, host: str, port: int) -> int:
    """Run both until either exits or we are interrupted; returns the exit code to use."""
    procs = [
        subprocess.Popen(cmd, start_new_session=True) for cmd in commands(workspace, host, port)
    ]
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        failed = next((p for p in procs if p.poll() not in (None, 0)), None)
        return failed.returncode if failed else 0
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(procs)


def _stop(procs: Sequence[subprocess.Popen[bytes]]) -> None:
    """SIGTERM each process group (the webserver starts a code server of its own), then kill."""
    for proc in procs:
        if proc.poll() is None:
            _signal_group(proc, signal.SIGTERM)
    deadline = time.monotonic() + _STOP_TIMEOUT_S
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait()


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
