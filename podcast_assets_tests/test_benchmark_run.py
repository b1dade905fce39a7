"""`make bench` end to end on a tiny corpus: every phase runs and every figure is reported.

The figures themselves are the benchmark's business (docs/performance.md); this checks that the
script still measures what it claims to, not how fast anything is.
"""

from __future__ import annotations

import json

import pytest

from benchmarks.run import main

# Runs every phase as its own process, spaCy included.
pytestmark = pytest.mark.slow


def test_benchmark_reports_every_phase_and_the_breakdown(tmp_path, capsys):
    report_file = tmp_path / "report.json"
    code = main(["--n", "4", "--workdir", str(tmp_path / "work"), "--report", str(report_file)])
    printed = capsys.readouterr().out

    assert code == 0
    report = json.loads(report_file.read_text())
    phases = report["phases"]
    assert list(phases) == [
        "a. bare tok2vec+ner (limit)",
        "a. bare previous pipeline",
        "a. bare our pipeline",
        "b. cold refresh",
        "c. no-op refresh",
        "d. one file changed",
        "e. one file changed, warm watch",
    ]
    assert all(
        p["exit_code"] == 0 and p["wall_s"] > 0 and p["peak_pss_mb"] > 0 for p in phases.values()
    )
    # PSS splits the pages the forked workers share; the sum of RSS counts them in each.
    assert all(
        p["peak_rss_sum_mb"] >= p["peak_pss_mb"] for p in phases.values() if "peak_rss_sum_mb" in p
    )
    warm = phases["e. one file changed, warm watch"]
    assert len(warm["detail"]["seconds"]) == 3 and warm["detail"]["median_s"] == warm["wall_s"]
    assert any("changed 1" in line for line in warm["summary"])
    assert "warm watch: change to refreshed" in printed
    assert all(phases[name]["words_per_s"] > 0 for name in list(phases)[:3])
    assert any("episodes written: 4" in line for line in phases["b. cold refresh"]["summary"])
    assert any("nothing to do" in line for line in phases["c. no-op refresh"]["summary"])
    assert any("changed 1" in line for line in phases["d. one file changed"]["summary"])
    breakdown = report["cold_breakdown"]
    assert breakdown["runs"] == 2  # the refresh, then the first build of the search index
    assert breakdown["search_index_step_s"] > 0
    assert breakdown["extract_step_s"] > 0 and breakdown["ingest_step_s"] > 0
    assert 0 < breakdown["run_s"] < phases["b. cold refresh"]["wall_s"]
    assert 0 < report["ratio_cold_to_bare"] < 2
    assert report["mentions_rows"] > 0
    assert set(report["ratios"]) == {
        "cold refresh / limit",
        "cold refresh / previous pipeline",
        "cold refresh / our pipeline",
        "our pipeline / limit",
        "our pipeline / previous pipeline",
    }
    assert "cold refresh / limit (throughput ratio)" in printed
    assert "where the time went" in printed
    # The refreshes ran on the repository's instance config, inside the work directory.
    assert (tmp_path / "work" / ".dagster" / "storage" / "history" / "runs.db").is_file()


def test_benchmark_without_the_bare_phases_reports_the_refreshes_and_no_ratios(tmp_path, capsys):
    report_file = tmp_path / "report.json"
    argv = [
        "--n",
        "3",
        "--skip-bare",
        "--workdir",
        str(tmp_path / "w"),
        "--report",
        str(report_file),
    ]
    assert main(argv) == 0
    report = json.loads(report_file.read_text())
    assert [name[:2] for name in report["phases"]] == ["b.", "c.", "d.", "e."]
    assert report["ratios"] == {} and "ratio_cold_to_bare" not in report
    assert report["corpus"]["transcript_words"] > 0
    assert "throughput ratio" not in capsys.readouterr().out
