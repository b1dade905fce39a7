"""The benchmark's report: figures from the phases, their ratios, and the printed table."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from typing import Any

import psutil

from benchmarks.corpus import CorpusStats


@dataclass(frozen=True)
class PhaseResult:
    name: str
    wall_s: float
    peak_pss_mb: float
    peak_rss_mb: float
    exit_code: int
    detail: dict[str, Any]


BARE_PIPELINES = {
    "limit": "a. bare tok2vec+ner (limit)",
    "previous": "a. bare previous pipeline",
    "ours": "a. bare our pipeline",
}
WARM = "e. one file changed, warm watch"


def build_report(
    results: dict[str, PhaseResult],
    stats: CorpusStats,
    breakdown: PhaseResult,
    query: dict[str, Any],
    warm: dict[str, Any],
) -> dict[str, Any]:
    """Every phase's figures; the throughput ratios when the bare phases ran."""
    bare = {w: results[n] for w, n in BARE_PIPELINES.items() if n in results}
    words = bare["limit"].detail["words"] if "limit" in bare else stats.words
    wps = {which: words / result.detail["nlp_s"] for which, result in bare.items()}
    report: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(),
            "processor": platform.machine(),
        },
        "corpus": {
            "files": stats.files,
            "bytes": stats.bytes,
            "transcript_words": words,
            "by_format": dict(stats.by_format),
        },
        "phases": {name: _phase(name, r, words, stats.files) for name, r in results.items()},
        "leaderboard_query_ms": round(query["median_ms"], 1),
        "mentions_rows": query["mentions_rows"],
    }
    report["phases"][WARM] = {
        "wall_s": warm["median_s"],
        "peak_pss_mb": warm["peak_pss_mb"],
        "exit_code": warm["exit_code"],
        "summary": warm["summary"],
        "detail": {k: v for k, v in warm.items() if k not in ("summary", "exit_code")},
    }
    cold_s = results["b. cold refresh"].wall_s
    cold_wps = words / cold_s
    report["ratios"] = {}
    if len(wps) == len(BARE_PIPELINES):
        report["ratio_cold_to_bare"] = round(cold_wps / wps["limit"], 3)
        report["ratios"] = {
            "cold refresh / limit": round(cold_wps / wps["limit"], 3),
            "cold refresh / previous pipeline": round(cold_wps / wps["previous"], 3),
            "cold refresh / our pipeline": round(cold_wps / wps["ours"], 3),
            "our pipeline / limit": round(wps["ours"] / wps["limit"], 3),
            "our pipeline / previous pipeline": round(wps["ours"] / wps["previous"], 3),
        }
    parts = {k: v for k, v in breakdown.detail.items() if k.endswith("_s")}
    parts["runs"] = breakdown.detail.get("runs", 0)
    parts["outside_runs_s"] = round(cold_s - parts.get("run_s", 0.0), 2)
    if "ours" in wps:
        parts["bare_nlp_s"] = round(words / wps["ours"], 2)
    report["cold_breakdown"] = parts
    return report


def _phase(name: str, result: PhaseResult, words: int, files: int) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "wall_s": round(result.wall_s, 2),
        "peak_pss_mb": round(result.peak_pss_mb),
        "peak_rss_sum_mb": round(result.peak_rss_mb),
        "exit_code": result.exit_code,
    }
    seconds = result.detail.get("nlp_s", result.wall_s)
    if name.startswith(("a.", "b.")):
        entry["words_per_s"] = round(words / seconds)
        entry["episodes_per_min"] = round(files / seconds * 60, 1)
    if name.startswith("a."):
        entry["nlp_s"] = round(seconds, 2)
    else:
        entry["summary"] = result.detail.get("output_tail")
    return entry


def render(report: dict[str, Any]) -> str:
    m, c = report["machine"], report["corpus"]
    lines = [
        f"machine: {m['cpus']} cores, {m['memory_gb']} GB, Python {m['python']} ({m['processor']})",
        f"corpus: {c['files']} files, {c['bytes'] / 2**20:.1f} MiB, "
        f"{c['transcript_words']:,} transcript words, {c['by_format']}",
        "",
        f"{'phase':<32}{'wall s':>9}{'words/s':>10}{'episodes/min':>14}{'peak PSS MB':>13}"
        f"{'peak RSS MB':>13}",
    ]
    for name, p in report["phases"].items():
        wps = f"{p['words_per_s']:,}" if "words_per_s" in p else "-"
        epm = f"{p['episodes_per_min']}" if "episodes_per_min" in p else "-"
        wall = p.get("nlp_s", p["wall_s"])
        rss = f"{p['peak_rss_sum_mb']:,}" if "peak_rss_sum_mb" in p else "-"
        lines.append(f"{name:<32}{wall:>9.2f}{wps:>10}{epm:>14}{p['peak_pss_mb']:>13,}{rss:>13}")
    b = {"run_s": 0.0, "planned_events_s": 0.0, "checks_s": 0.0} | report["cold_breakdown"]
    run_rest = b["run_s"] - b["planned_events_s"] - b.get("ingest_step_s", 0)
    run_rest -= b.get("extract_step_s", 0) + b.get("search_index_step_s", 0) + b["checks_s"]
    bare = f" (our pipeline bare {b['bare_nlp_s']:.1f})" if "bare_nlp_s" in b else ""
    warm = report["phases"][WARM]["detail"]
    lines += [
        "",
        "cold refresh, where the time went (s): "
        f"outside runs (start, scan, plan) {b['outside_runs_s']:.1f}; "
        f"planned events {b['planned_events_s']:.1f}; ingest step {b.get('ingest_step_s', 0):.1f}; "
        f"extract step {b.get('extract_step_s', 0):.1f}{bare}; "
        f"search index {b.get('search_index_step_s', 0):.1f}; "
        f"checks {b['checks_s']:.1f}; rest of the runs {run_rest:.1f}",
        f"warm watch: change to refreshed {warm['seconds']} s (median {warm['median_s']} s, "
        f"{warm['settle_s']} s of it waiting for the folder to settle); watcher started and "
        f"idle in {warm['start_to_ready_s']} s",
        *(f"{name} (throughput ratio): {ratio:.1%}" for name, ratio in report["ratios"].items()),
        f"entity_leaderboard query (median of 7): {report['leaderboard_query_ms']} ms "
        f"over {report['mentions_rows']:,} mentions",
    ]
    return "\n".join(lines)
