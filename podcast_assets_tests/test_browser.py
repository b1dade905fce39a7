"""The main UI path in a real browser: asset graph -> Materialize all -> one partition -> run.

Starts `dagster-webserver` and `dagster-daemon run` (real subprocesses, a free localhost port,
a scratch instance, raw directory and warehouse), then drives headless Chromium with Playwright:
opens the global asset graph, launches a materialization of the one partition with the UI's own
buttons, waits for the run to succeed and reads the warehouse it wrote. At the end both
processes are stopped and no process they started may be left running.

The browser is Debian's `chromium` package (`apt-get install chromium`, done by `.ci/run`);
Playwright's own browser downloads are never used. Without /usr/bin/chromium the test skips.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import psutil
import pytest

from .test_webserver import Webserver as _Webserver
from .test_webserver import free_port

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
# The smallest *transcript* among the samples (the enriched pages have no segments), so the
# run exercises both steps, ingest and spaCy extraction, on real text.
SAMPLE = "003_6dc2de23e6c008f7.txt"
PARTITION = "003_6dc2de23e6c008f7"  # rawfiles.episode_id_for(SAMPLE)
LOCATION = "podcast_assets"
START_TIMEOUT_S = 60
# The run takes seconds today, but every step is a process and CI machines are slow: generous.
RUN_TIMEOUT_S = 300
UI_TIMEOUT_MS = 30_000
WEBSERVER = [sys.executable, "-m", "dagster_webserver", "-w", "workspace.yaml"]
DAEMON = [sys.executable, "-m", "dagster._daemon", "run", "-w", "workspace.yaml"]
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root in a container, where the sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # No traffic of the browser's own: the test must not depend on (or wait for) the network.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WORKSPACE_YAML = f"""\
load_from:
  - python_module:
      module_name: podcast_assets.definitions
      location_name: {LOCATION}
"""
REPOSITORY = f'repositoryLocationName: "{LOCATION}", repositoryName: "__repository__"'
LOCATION_QUERY = """
{
  workspaceOrError {
    ... on Workspace { locationEntries { name loadStatus } }
  }
}
"""
DAEMON_HEALTH_QUERY = """
{
  instance { daemonHealth { allDaemonStatuses { daemonType healthy required } } }
}
"""
RUNS_QUERY = """
{
  runsOrError { ... on Runs { results { runId status startTime endTime tags { key value } } } }
}
"""
TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}


@dataclass
class Service:
    """A started Dagster process and the file its output goes to."""

    name: str
    process: subprocess.Popen
    log: Path

    def tail(self, chars: int = 3000) -> str:
        return f"--- {self.name} ({self.log}) ---\n{self.log.read_text(errors='replace')[-chars:]}"


class Webserver(_Webserver):
    """test_webserver's GraphQL client, plus the runs this test waits on."""

    def runs(self) -> list[dict]:
        return self.graphql(RUNS_QUERY)["runsOrError"]["results"]


def wait_until(
    predicate: Callable[[], bool], what: str, services: list[Service], timeout_s: float
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for service in services:
            if service.process.poll() is not None:
                pytest.fail(
                    f"{service.name} exited ({service.process.returncode}) before {what}:\n"
                    + service.tail()
                )
        try:
            if predicate():
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    pytest.fail(f"no {what} within {timeout_s} s:\n" + "\n".join(s.tail() for s in services))


def stop(process: subprocess.Popen) -> list[psutil.Process]:
    """Terminate a Dagster process the way a supervisor would; return what it left running.

    Both processes start a code server of their own, and the daemon's code server starts the
    run worker: the whole tree is collected before the parent goes, so orphans are still found.
    """
    try:
        children = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    _, alive = psutil.wait_procs(children, timeout=30)
    for orphan in alive:
        orphan.kill()
    return alive


@dataclass
class Scratch:
    """A throwaway deployment: instance, working directory, raw files and warehouse."""

    cwd: Path
    home: Path
    raw: Path
    warehouse: Path

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DAGSTER_HOME": str(self.home),
            "PODCAST_RAW_DIR": str(self.raw),
            "PODCAST_WAREHOUSE": str(self.warehouse),
        }


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Scratch:
    cwd = tmp_path / "deployment"
    home = cwd / "home"
    raw = tmp_path / "raw"
    for folder in (home, raw):
        folder.mkdir(parents=True)
    # The repository's own instance settings (run queue of one, batching event log, run
    # monitoring): the test runs what `make ui` runs. Their `base_dir`s are relative to the
    # working directory, so every process of this test runs in `cwd`, whose `.dagster/` is
    # then the scratch instance's storage.
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    shutil.copy(REPO / "dagster.yaml", cwd / "dagster.yaml")
    (cwd / "workspace.yaml").write_text(WORKSPACE_YAML)
    shutil.copy(REPO / "data" / "raw" / SAMPLE, raw / SAMPLE)
    s = Scratch(cwd=cwd, home=home, raw=raw, warehouse=tmp_path / "warehouse.duckdb")

    # The partition has to exist before the UI can launch it. In production the sensor
    # registers it, but the sensor also materializes it at once, which would leave nothing
    # for the UI to do (and the warehouse check would prove nothing). So the sensor is stopped
    # (below, before the daemon starts) and the partition is registered here the way the
    # sensor's `dynamic_partitions_requests` do: on the instance, under the partitions
    # definition's name.
    import dagster as dg

    from podcast_assets.defs.partitions import EPISODE_PARTITIONS_NAME

    monkeypatch.chdir(cwd)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        instance.add_dynamic_partitions(EPISODE_PARTITIONS_NAME, [PARTITION])
    return s


def _start(name: str, args: list[str], scratch: Scratch) -> Service:
    log = scratch.cwd / f"{name}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            args, cwd=scratch.cwd, env=scratch.env, stdout=out, stderr=subprocess.STDOUT
        )
    return Service(name, process, log)


def _stop_automation(server: Webserver) -> None:
    """Stop the sensor and the schedule (both default to running) before the daemon starts.

    The sensor would materialize the partition itself (see `scratch`); the nightly schedule
    could too, should the test run at 02:00. Stopping them through the webserver is what the
    UI's toggles do.
    """
    sensor = server.graphql(
        f'{{ sensorOrError(sensorSelector: {{ {REPOSITORY}, sensorName: "raw_files_sensor" }})'
        " { __typename ... on Sensor { id } } }"
    )["sensorOrError"]
    stopped = server.graphql(
        f'mutation {{ stopSensor(id: "{sensor["id"]}") {{ __typename '
        "... on StopSensorMutationResult { instigationState { status } } } }"
    )["stopSensor"]
    assert stopped["instigationState"]["status"] == "STOPPED", stopped
    schedule = server.graphql(
        f"{{ scheduleOrError(scheduleSelector: {{ {REPOSITORY}, "
        'scheduleName: "nightly_refresh_schedule" }) { __typename ... on Schedule { id } } }'
    )["scheduleOrError"]
    stopped = server.graphql(
        f'mutation {{ stopRunningSchedule(id: "{schedule["id"]}") {{ __typename '
        "... on ScheduleStateResult { scheduleState { status } } } }"
    )["stopRunningSchedule"]
    assert stopped["scheduleState"]["status"] == "STOPPED", stopped


def _daemons_healthy(server: Webserver) -> bool:
    statuses = server.graphql(DAEMON_HEALTH_QUERY)["instance"]["daemonHealth"]
    required = [d for d in statuses["allDaemonStatuses"] if d["required"]]
    return bool(required) and all(d["healthy"] for d in required)


@pytest.fixture
def deployment(scratch: Scratch) -> Iterator[tuple[Webserver, list[Service]]]:
    port = free_port()
    server = Webserver(port)
    webserver = _start(
        "webserver",
        [*WEBSERVER, "-h", "127.0.0.1", "-p", str(port)],
        scratch,
    )
    services = [webserver]
    try:
        wait_until(
            lambda: server.get("/server_info") == 200, "HTTP readiness", services, START_TIMEOUT_S
        )
        wait_until(
            lambda: [e["loadStatus"] for e in _locations(server)] == ["LOADED"],
            "code location",
            services,
            START_TIMEOUT_S,
        )
        _stop_automation(server)
        # The daemon dequeues the run the UI launches (runs are queued, one at a time) and
        # monitors it, as in `make ui`.
        services.append(_start("daemon", DAEMON, scratch))
        wait_until(lambda: _daemons_healthy(server), "healthy daemon", services, START_TIMEOUT_S)
        yield server, services
    finally:
        # Daemon first: it owns the run worker, if a failed test left one running.
        orphans = [o for service in reversed(services) for o in stop(service.process)]
    assert not orphans, f"processes left running after shutdown: {orphans}"


def _locations(server: Webserver) -> list[dict]:
    return server.graphql(LOCATION_QUERY)["workspaceOrError"]["locationEntries"]


def _launch_from_asset_graph(page, url: str) -> str:
    """Materialize all assets of the one partition with the UI's buttons; return the run id."""
    page.goto(f"{url}/asset-groups")  # the global asset graph ("Lineage" in the navigation)
    page.get_by_role("button", name="Materialize all…").click()
    dialog = page.get_by_role("dialog")
    # The dialog opens in "Custom" mode with nothing selected (its "Custom" button would
    # select every partition). The picker is a popover of menu items, one per partition.
    dialog.get_by_text("Select a partition or create one").click()
    item = page.get_by_role("menuitem", name=PARTITION)
    if not item.get_by_role("checkbox").is_checked():
        item.click()
    # Collapsing the section closes the popover and shows the count of the selection.
    dialog.get_by_text("Partition selection").click()
    dialog.get_by_text("1 partition", exact=True).wait_for()
    # One partition of assets with a single-run backfill policy: one run, not a backfill.
    dialog.get_by_role("button", name="Launch 1 run", exact=True).click()
    # The toast ("Launched run 1a2b3c4d  View") links to the run page: follow it like a user.
    page.get_by_role("link", name="View", exact=True).click()
    page.wait_for_url("**/runs/*")
    return page.url.rstrip("/").rsplit("/", 1)[-1]


def _wait_for_run(server: Webserver, run_id: str, services: list[Service]) -> dict:
    def finished() -> bool:
        return any(r["runId"] == run_id and r["status"] in TERMINAL for r in server.runs())

    wait_until(finished, f"end of run {run_id}", services, RUN_TIMEOUT_S)
    [run] = [r for r in server.runs() if r["runId"] == run_id]
    return run


@pytest.fixture
def chromium() -> Path:
    """Debian's browser, or a skip (requested first, so nothing is started for nothing)."""
    pytest.importorskip("playwright.sync_api", reason="the dev extra installs playwright")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    return CHROMIUM


@pytest.mark.slow
def test_materialize_one_partition_from_the_asset_graph(chromium, deployment, scratch, tmp_path):
    from playwright.sync_api import sync_playwright

    server, services = deployment
    screenshot = tmp_path / "failure.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(UI_TIMEOUT_MS)
        try:
            started = time.monotonic()
            run_id = _launch_from_asset_graph(page, server.url)
            run = _wait_for_run(server, run_id, services)
            assert run["status"] == "SUCCESS", f"run {run_id} ended {run['status']}:\n" + "\n".join(
                s.tail() for s in services
            )
            # The run page the user followed says so too (it polls the server).
            page.get_by_text("Success", exact=True).first.wait_for()
            elapsed = time.monotonic() - started
        except (Exception, pytest.fail.Exception):  # pytest.fail's is no Exception
            try:
                page.screenshot(path=str(screenshot), full_page=True)
                print(f"browser test failed; screenshot of the page: {screenshot}")
            except Exception as exc:  # a dead browser must not hide the original failure
                print(f"browser test failed; no screenshot ({exc})")
            raise
        finally:
            browser.close()
    print(
        f"run {run_id}: {run['endTime'] - run['startTime']:.1f} s in the worker, "
        f"{elapsed:.1f} s from opening the asset graph to success"
    )

    tags = {t["key"]: t["value"] for t in run["tags"]}
    assert tags.get("dagster/from_ui") == "true", tags
    assert tags.get("dagster/partition") == PARTITION, tags
    # Nothing else ran: the stopped sensor and schedule launched nothing, so the rows below
    # were written by the run the browser launched.
    assert [r["runId"] for r in server.runs()] == [run_id]

    with duckdb.connect(str(scratch.warehouse), read_only=True) as con:
        episodes = con.execute("SELECT episode_id, source_file FROM episodes").fetchall()
        segments = con.execute(
            "SELECT count(*) FROM segments WHERE episode_id = ?", [PARTITION]
        ).fetchone()
        mentions = con.execute(
            "SELECT count(*) FROM mentions WHERE episode_id = ?", [PARTITION]
        ).fetchone()
    assert episodes == [(PARTITION, SAMPLE)]
    assert segments is not None and segments[0] > 0
    # "Materialize all" covers the extraction group too: spaCy ran on the transcript.
    assert mentions is not None and mentions[0] > 0
