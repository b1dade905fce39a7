"""How long one file takes by each way a user refreshes it: the UI, the sensor, the CLI.

    python -m benchmarks.ui_paths            (or: make bench-ui)

In a scratch directory (its own instance, raw directory and warehouse, the repository's
`dagster.yaml`), with the real `dagster-webserver` and `dagster-daemon` processes:
  ui      one partition materialized the way the UI's "Materialize" button does it: a run of
          `refresh_job` for that partition, launched through the webserver's GraphQL API and
          queued, dequeued and executed by the daemon. Wall time from the launch request to
          the run's end, and the run's own start-to-end time.
  sensor  a file dropped into the raw directory until its rows are in every table (the
          sensor's default 30 s interval), and the run the sensor launched.
  cli     `podcast-assets refresh` of a raw directory with that one file, into a new
          warehouse: the process's wall time, and its run's time.
The file is the sample's bracket-timestamped transcript (the one seed with NLP to do).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import duckdb
import psutil

from podcast_assets.devserver import commands

_REPO = Path(__file__).resolve().parents[1]
_SAMPLE = _REPO / "data" / "raw" / "003_6dc2de23e6c008f7.txt"
_BIN = Path(sys.executable).parent
_LAUNCH = """
mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}"""
_RUN = """
query($id: ID!) {
  runOrError(runId: $id) { ... on Run { status creationTime startTime endTime } }
}"""
_RUNS = """
{ runsOrError { ... on Runs { results { runId status startTime endTime tags { key value } } } } }
"""
_DONE = {"SUCCESS", "FAILURE", "CANCELED"}


class Stack:
    """A scratch instance with the webserver and the daemon running on it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.raw = root / "raw"
        self.db = root / "warehouse.duckdb"
        self.raw.mkdir()
        shutil.copy(_REPO / "dagster.yaml", root / "dagster.yaml")
        (root / "workspace.yaml").write_text(
            "load_from:\n  - python_module:\n      module_name: podcast_assets.definitions\n"
            "      location_name: podcast_assets\n"
        )
        self.env = {
            **os.environ,
            "DAGSTER_HOME": str(root),
            "PODCAST_RAW_DIR": str(self.raw),
            "PODCAST_WAREHOUSE": str(self.db),
        }
        self.port = _free_port()
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        log = (self.root / "servers.log").open("wb")
        # The processes `podcast-assets ui` (what `make ui` runs) starts.
        for cmd in commands("workspace.yaml", "127.0.0.1", self.port):
            self.procs.append(
                subprocess.Popen(
                    cmd,
                    cwd=self.root,
                    env=self.env,
                    stdout=log,
                    stderr=log,
                    start_new_session=True,
                )
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                self.graphql("{ version }")
                return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("the webserver did not start")

    def stop(self) -> None:
        """Both processes and everything they started (code servers), nothing left behind."""
        tree = [
            child
            for proc in self.procs
            if psutil.pid_exists(proc.pid)
            for child in psutil.Process(proc.pid).children(recursive=True)
        ]
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        _, alive = psutil.wait_procs(tree, timeout=10)
        for child in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/graphql",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = json.loads(response.read())
        if "errors" in payload:
            raise RuntimeError(payload["errors"])
        return payload["data"]

    def dagster(self, *args: str) -> None:
        subprocess.run(
            [str(_BIN / "dagster"), *args],
            cwd=self.root,
            env=self.env,
            check=True,
            capture_output=True,
        )

    def wait_run(self, run_id: str, timeout_s: float = 600) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            run = self.graphql(_RUN, {"id": run_id})["runOrError"]
            if run.get("status") in _DONE:
                return run
            time.sleep(0.25)
        raise TimeoutError(f"run {run_id} did not finish")

    def rows_in(self, episode_id: str) -> bool:
        """Every table of the partition written: its extract state is recorded."""
        if not self.db.exists():
            return False
        try:
            with duckdb.connect(str(self.db), read_only=True) as con:
                found = con.execute(
                    "SELECT count(*) FROM partition_state WHERE episode_id = ? "
                    "AND step = 'extract'",
                    [episode_id],
                ).fetchone()
                return bool(found and found[0])
        except duckdb.Error:  # the writer holds the file: not yet
            return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _launch_ui_run(stack: Stack, key: str) -> dict[str, float]:
    """One partition, as the UI's Materialize button launches it."""
    params = {
        "selector": {
            "repositoryLocationName": "podcast_assets",
            "repositoryName": "__repository__",
            "jobName": "refresh_job",
        },
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": key}]},
        "runConfigData": {},
    }
    started = time.monotonic()
    result = stack.graphql(_LAUNCH, {"params": params})["launchRun"]
    if result["__typename"] != "LaunchRunSuccess":
        raise RuntimeError(result)
    run = stack.wait_run(result["run"]["runId"])
    return {
        "wall_s": time.monotonic() - started,
        "run_s": run["endTime"] - run["startTime"],
        "status": run["status"],
    }


def measure_ui(root: Path) -> dict[str, Any]:
    stack = Stack(root)
    shutil.copy(_SAMPLE, stack.raw / _SAMPLE.name)
    key = _SAMPLE.stem
    stack.dagster("sensor", "stop", "raw_files_sensor", "-w", "workspace.yaml")
    stack.start()
    try:
        # The sensor would materialize the file itself: add the partition as it would.
        _add_partition(stack, key)
        return _launch_ui_run(stack, key)
    finally:
        stack.stop()


def _add_partition(stack: Stack, key: str) -> None:
    code = (
        "import dagster as dg; dg.DagsterInstance.get().add_dynamic_partitions("
        f"'episodes', [{key!r}])"
    )
    subprocess.run([sys.executable, "-c", code], env=stack.env, check=True, cwd=stack.root)


def measure_sensor(root: Path) -> dict[str, Any]:
    stack = Stack(root)
    stack.start()
    try:
        # Let the sensor tick on an empty directory, then drop the file at a random point of
        # its 30 s interval: the wait for the next tick is part of what a user sees.
        time.sleep(35 + random.uniform(0, 30))
        key = _SAMPLE.stem
        dropped, dropped_at = time.monotonic(), time.time()
        shutil.copy(_SAMPLE, stack.raw / _SAMPLE.name)
        while not stack.rows_in(key):
            if time.monotonic() - dropped > 600:
                raise TimeoutError("the sensor never refreshed the file")
            time.sleep(0.25)
        latency = time.monotonic() - dropped
        (run,) = stack.graphql(_RUNS)["runsOrError"]["results"]
        run = stack.wait_run(run["runId"])
        return {
            "latency_s": latency,
            "done_s": time.monotonic() - dropped,
            # Where the latency goes: waiting for the sensor's tick, then in the queue and
            # starting the run's process, then the run.
            "until_requested_s": run["creationTime"] - dropped_at,
            "queued_and_starting_s": run["startTime"] - run["creationTime"],
            "run_s": run["endTime"] - run["startTime"],
            "status": run["status"],
        }
    finally:
        stack.stop()


def measure_cli(root: Path) -> dict[str, Any]:
    stack = Stack(root)
    shutil.copy(_SAMPLE, stack.raw / _SAMPLE.name)
    started = time.monotonic()
    subprocess.run(
        [str(_BIN / "podcast-assets"), "refresh"],
        cwd=root,
        env=stack.env,
        check=True,
        capture_output=True,
    )
    wall = time.monotonic() - started
    code = (
        "import dagster as dg; r = dg.DagsterInstance.get().get_runs(limit=1)[0]; "
        "s = dg.DagsterInstance.get().get_run_stats(r.run_id); print(s.end_time - s.start_time)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=stack.env,
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    )
    return {"wall_s": wall, "run_s": float(out.stdout.strip())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--only", nargs="*", choices=["cli", "ui", "sensor"])
    args = parser.parse_args()
    measures = {"cli": measure_cli, "ui": measure_ui, "sensor": measure_sensor}
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in args.only or measures}
    for _ in range(args.repeat):
        for name, rows in results.items():
            with tempfile.TemporaryDirectory(
                prefix=f"bench-{name}-", ignore_cleanup_errors=True
            ) as tmp:
                rows.append(measures[name](Path(tmp)))
                print(name, json.dumps(rows[-1]), flush=True)
    print("| path | until the rows are in (s) | the run itself (s) |")
    print("|---|---:|---:|")
    for name, rows in results.items():
        for row in rows:
            wall = row.get("wall_s", row.get("latency_s"))
            print(f"| {name} | {wall:.1f} | {row['run_s']:.1f} |")


if __name__ == "__main__":
    main()
