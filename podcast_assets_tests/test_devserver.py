"""`podcast-assets ui` runs what `dagster dev` runs: the daemon and the webserver."""

from __future__ import annotations

import sys

from click.testing import CliRunner

from podcast_assets.cli import main
from podcast_assets.devserver import commands


def test_ui_runs_the_daemon_and_the_webserver_on_the_same_workspace():
    daemon, webserver = commands("workspace.yaml", "127.0.0.1", 3001)
    assert daemon[0].endswith("dagster-daemon") and daemon[1:] == ["run", "-w", "workspace.yaml"]
    assert webserver == [
        sys.executable,
        "-m",
        "dagster_webserver",
        "-w",
        "workspace.yaml",
        "-h",
        "127.0.0.1",
        "-p",
        "3001",
    ]


def test_ui_refuses_a_missing_workspace(tmp_path):
    result = CliRunner().invoke(main, ["ui", "-w", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "does not exist" in result.output
