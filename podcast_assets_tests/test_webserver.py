"""The Dagster webserver serves this code location: the asset graph as the UI sees it.

Starts `dagster-webserver` on `workspace.yaml` (a real subprocess, a free localhost port, a
temporary DAGSTER_HOME), reads the graph through its GraphQL API, and shuts it down, checking
that it leaves no process behind (it starts a code server of its own).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from .test_definitions import CHECKS

REPO = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 45
WEBSERVER = [sys.executable, "-m", "dagster_webserver", "-w", "workspace.yaml"]
ASSET_GRAPH_QUERY = """
{
  assetNodes {
    assetKey { path }
    groupName
    kinds
    dependencyKeys { path }
    opNames
    partitionDefinition { name type }
    assetChecksOrError { ... on AssetChecks { checks { name } } }
  }
}
"""
LOCATION_QUERY = """
{
  workspaceOrError {
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError { __typename ... on PythonError { message } }
      }
    }
  }
}
"""
INSTIGATORS_QUERY = """
{
  repositoriesOrError {
    ... on RepositoryConnection {
      nodes {
        sensors { name }
        schedules { name cronSchedule }
        jobs { name }
      }
    }
  }
}
"""

# The real pipeline through Dagster (spaCy, runs), or a webserver process.
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Webserver:
    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"

    def get(self, path: str) -> int:
        with urllib.request.urlopen(self.url + path, timeout=5) as response:
            return response.status

    def graphql(self, query: str) -> dict:
        request = urllib.request.Request(
            self.url + "/graphql",
            data=json.dumps({"query": query}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = json.load(response)
        assert "errors" not in payload, payload["errors"]
        return payload["data"]


def wait_until(predicate, what: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"webserver exited ({process.returncode}) before {what}:\n{log.read_text()}"
            )
        try:
            if predicate():
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    pytest.fail(f"no {what} within {START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen) -> list[psutil.Process]:
    """Terminate the webserver the way Ctrl-C would; return any process it left running."""
    children = psutil.Process(process.pid).children(recursive=True)
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    _, alive = psutil.wait_procs(children, timeout=20)
    for orphan in alive:
        orphan.kill()
    return alive


@pytest.fixture(scope="module")
def webserver(tmp_path_factory) -> Iterator[Webserver]:
    home = tmp_path_factory.mktemp("dagster-home")
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\nnux:\n  enabled: false\n")
    port = free_port()
    log = home / "webserver.log"
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "PODCAST_RAW_DIR": str(home / "raw"),
        "PODCAST_WAREHOUSE": str(home / "warehouse.duckdb"),
    }
    with log.open("w") as out:
        process = subprocess.Popen(
            [*WEBSERVER, "-h", "127.0.0.1", "-p", str(port)],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Webserver(port)
    try:
        wait_until(lambda: server.get("/server_info") == 200, "HTTP readiness", process, log)
        wait_until(
            lambda: _location(server)["loadStatus"] == "LOADED", "code location", process, log
        )
        yield server
    finally:
        orphans = stop(process)
    assert process.returncode is not None
    assert not orphans, f"processes left running after shutdown: {orphans}"


def _location(server: Webserver) -> dict:
    [entry] = server.graphql(LOCATION_QUERY)["workspaceOrError"]["locationEntries"]
    return entry


def test_webserver_loads_the_code_location_without_errors(webserver):
    entry = _location(webserver)
    assert entry["name"] == "podcast_assets"
    assert entry["locationOrLoadError"]["__typename"] == "RepositoryLocation"


def test_webserver_serves_the_asset_graph(webserver):
    nodes = {
        "/".join(n["assetKey"]["path"]): n
        for n in webserver.graphql(ASSET_GRAPH_QUERY)["assetNodes"]
    }
    assert sorted(nodes) == [
        "episodes",
        "feed_items",
        "mentions",
        "quotes",
        "search_index",
        "segments",
        "shows",
        "topics",
    ]
    deps = {
        key: sorted("/".join(d["path"]) for d in n["dependencyKeys"]) for key, n in nodes.items()
    }
    assert deps == {
        "shows": [],
        "feed_items": ["shows"],
        "episodes": ["feed_items"],
        "segments": ["episodes"],
        "mentions": ["episodes", "segments"],
        "quotes": ["episodes", "segments"],
        "topics": ["episodes", "segments"],
        "search_index": ["episodes", "feed_items", "segments"],
    }
    for key, node in nodes.items():
        partitions = None if key == "search_index" else {"name": "episodes", "type": "DYNAMIC"}
        assert node["partitionDefinition"] == partitions, key
    assert {k: n["groupName"] for k, n in nodes.items()} == {
        "shows": "ingestion",
        "feed_items": "ingestion",
        "episodes": "ingestion",
        "segments": "ingestion",
        "mentions": "extraction",
        "quotes": "extraction",
        "topics": "extraction",
        "search_index": "search",
    }
    checks = {
        k: sorted(c["name"] for c in n["assetChecksOrError"]["checks"]) for k, n in nodes.items()
    }
    # The reviewed snapshot of test_definitions, as the UI serves it.
    assert {k: v for k, v in checks.items() if v} == CHECKS


def test_webserver_lists_the_sensor_schedule_and_jobs(webserver):
    [repo] = webserver.graphql(INSTIGATORS_QUERY)["repositoriesOrError"]["nodes"]
    assert [s["name"] for s in repo["sensors"]] == ["raw_files_sensor"]
    assert repo["schedules"] == [
        {"name": "nightly_refresh_schedule", "cronSchedule": "0 2 * * *"},
        {"name": "nightly_search_index_schedule", "cronSchedule": "0 3 * * *"},
        {"name": "nightly_upkeep_schedule", "cronSchedule": "0 4 * * *"},
    ]
    jobs = {"refresh_job", "extract_job", "search_index_job", "prune_job", "warehouse_upkeep_job"}
    assert jobs <= {j["name"] for j in repo["jobs"]}
