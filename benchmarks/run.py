"""The performance benchmark: the bare spaCy limit against full refreshes, in one report.

    python -m benchmarks.run --n 1000        (or: make bench N=1000)

Phases, each in its own child process so that its wall time and peak memory are its own:
  a. bare    spaCy pipelines over the corpus's transcript texts with `nlp.pipe` (same model,
             batch size and worker count as a refresh), no I/O:
               limit     tok2vec + ner of the model, nothing else: the NER model's own cost;
               previous  the pipeline extraction ran before (tagger, lemmatizer, senter, ...);
               ours      the pipeline extraction runs now (`load_pipeline`);
  b. cold    `podcast-assets refresh` of the whole corpus into an empty warehouse, through Dagster;
  c. noop    the same refresh again with nothing changed;
  d. one     a refresh after changing one transcript;
  then the entity-leaderboard query on the resulting warehouse.
Peak memory (PSS) is sampled over the child's whole process tree (spaCy workers included).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from benchmarks.corpus import generate_corpus

_REPO = Path(__file__).resolve().parents[1]

SAMPLE_EVERY_S = 1.0


@dataclass(frozen=True)
class PhaseResult:
    name: str
    wall_s: float
    peak_pss_mb: float
    peak_rss_mb: float
    exit_code: int
    detail: dict[str, Any]


def run_phase(name: str, argv: list[str], env: dict[str, str], cwd: Path) -> PhaseResult:
    """Run one child, sampling the memory of it and its descendants every second.

    spaCy's workers are forked and share the parent's pages, so the sum of RSS counts the
    model once per process; PSS (proportional set size) splits shared pages between them.
    Both are reported: PSS is the memory the phase really holds, RSS the figure tools show.
    Reading it costs the kernel ~5 ms per large process, so sampling every 100 ms took ~15%
    of a core from the phase being measured; memory peaks last far longer than a second.
    """
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = peak_rss = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_rss
        try:
            parent = psutil.Process(proc.pid)
        except psutil.NoSuchProcess:
            return
        while not stop.is_set():
            try:
                tree = [parent, *parent.children(recursive=True)]
                peak = max(peak, sum(_pss(p) for p in tree))
                peak_rss = max(peak_rss, sum(p.memory_info().rss for p in tree))
            except psutil.Error:
                pass
            stop.wait(SAMPLE_EVERY_S)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    detail: dict[str, Any] = {}
    for line in out.splitlines():
        if line.startswith("BENCH "):
            detail = json.loads(line[len("BENCH ") :])
    if proc.returncode != 0 and not detail:
        sys.stderr.write(f"phase {name} failed ({proc.returncode}):\n{err[-3000:]}\n{out[-2000:]}")
    detail.setdefault("output_tail", out.strip().splitlines()[-4:])
    return PhaseResult(name, wall, peak / 2**20, peak_rss / 2**20, proc.returncode, detail)


def _pss(process: psutil.Process) -> int:
    """PSS from /proc/<pid>/smaps_rollup, which the kernel sums for us (psutil reads the
    whole smaps); RSS where that file is unreadable."""
    try:
        with open(f"/proc/{process.pid}/smaps_rollup", encoding="ascii") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return process.memory_info().rss


BARE_PIPELINES = {
    "limit": "a. bare tok2vec+ner (limit)",
    "previous": "a. bare previous pipeline",
    "ours": "a. bare our pipeline",
}


def _bare(corpus: Path, which: str) -> None:
    """Child: one pipeline's NLP alone. Texts are read and parsed before the clock starts."""
    from podcast_assets.defs.resources import SpacyResource
    from podcast_assets.parsing import Feed, ParseError, parse_bytes

    texts: list[str] = []
    words = 0
    for path in sorted(corpus.iterdir()):
        try:
            parsed = parse_bytes(path.read_bytes(), path.name)
        except ParseError:
            continue
        if not isinstance(parsed, Feed) and parsed.segments:
            texts.append(parsed.transcript)
            words += parsed.word_count or 0
    config = SpacyResource()
    nlp = bare_pipeline(which)
    started = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=config.batch_size, n_process=config.n_process):
        pass
    seconds = time.perf_counter() - started
    print("BENCH " + json.dumps({"words": words, "docs": len(texts), "nlp_s": seconds}))


def bare_pipeline(which: str) -> Any:
    """One of BARE_PIPELINES: `limit`, `previous` (the components extraction ran before it was
    cut to what NER needs) or `ours`."""
    import spacy

    from podcast_assets import settings
    from podcast_assets.extraction import load_pipeline
    from podcast_assets.extraction.gazetteer import load_gazetteer

    if which == "ours":
        return load_pipeline()
    model = settings.spacy_model()
    if which == "limit":
        names = spacy.load(model).component_names
        return spacy.load(model, exclude=[n for n in names if n not in ("tok2vec", "ner")])
    # The pipeline before it was cut to what NER needs: parser excluded, senter enabled,
    # tagger, attribute ruler and lemmatizer kept for lemma matching, gazetteer ruler.
    nlp = spacy.load(model, exclude=["parser"])
    nlp.enable_pipe("senter")
    ruler = nlp.add_pipe(
        "entity_ruler", before="ner", config={"phrase_matcher_attr": "LOWER", "validate": True}
    )
    with nlp.select_pipes(enable=[]):
        ruler.add_patterns(load_gazetteer().ruler_patterns(nlp.make_doc))  # type: ignore[attr-defined]
    return nlp


def _breakdown() -> None:
    """Child (in the workdir, on the benchmark's instance): where the cold refresh's runs spent
    their time, from their own event logs."""
    import dagster as dg

    instance = dg.DagsterInstance.get()
    totals: dict[str, float] = {"planned_events_s": 0.0, "run_s": 0.0, "checks_s": 0.0}
    runs = instance.get_runs()
    for run in runs:
        planned = instance.all_logs(
            run.run_id,
            of_type={
                dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED,
                dg.DagsterEventType.RUN_START,
                dg.DagsterEventType.RUN_SUCCESS,
                dg.DagsterEventType.RUN_FAILURE,
            },
        )
        if not planned:
            continue
        first = planned[0].timestamp
        start = next(
            (e.timestamp for e in planned if e.dagster_event_type == dg.DagsterEventType.RUN_START),
            first,
        )
        totals["planned_events_s"] += start - first
        totals["run_s"] += planned[-1].timestamp - first
        for step in instance.get_run_step_stats(run.run_id):
            seconds = (step.end_time or 0) - (step.start_time or 0)
            if step.step_key in ("ingest", "extract", "search_index"):
                key = f"{step.step_key}_step_s"
                totals[key] = totals.get(key, 0.0) + seconds
            else:
                totals["checks_s"] += seconds
    print("BENCH " + json.dumps({"runs": len(runs)} | {k: round(v, 2) for k, v in totals.items()}))


def _leaderboard(warehouse: Path, repeats: int = 7) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        timings = []
        for _ in range(repeats):
            started = time.perf_counter()
            con.execute(
                "SELECT * FROM entity_leaderboard ORDER BY mentions DESC LIMIT 20"
            ).fetchall()
            timings.append(time.perf_counter() - started)
        rows = con.execute("SELECT count(*) FROM mentions").fetchall()[0][0]
    finally:
        con.close()
    return {"median_ms": statistics.median(timings) * 1000, "mentions_rows": rows}


def _instance_config(target: Path) -> None:
    """The project's own dagster.yaml (its paths are relative: children run in the workdir),
    so that the benchmark measures the instance users run; a minimal one outside a checkout."""
    project = _REPO / "dagster.yaml"
    if project.is_file():
        shutil.copyfile(project, target)
    else:
        target.write_text("telemetry:\n  enabled: false\n")


def _touch_one(corpus: Path) -> str:
    """Append a sentence to the first transcript (not an enriched page) of the corpus."""
    for path in sorted(corpus.iterdir()):
        text = path.read_text(encoding="utf-8")
        if not text.lstrip().startswith("---"):
            with path.open("a", encoding="utf-8") as handle:
                handle.write("\nThat was a late addition about Trainium chips on AWS.\n")
            return path.name
    raise RuntimeError("the corpus has no transcript to change")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="episodes in the corpus")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, default=None, help="keep files here")
    parser.add_argument("--report", type=Path, default=None, help="also write JSON here")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase in BARE_PIPELINES:
        _bare(args.corpus, args.phase)
        return 0
    if args.phase == "breakdown":
        _breakdown()
        return 0

    work = (args.workdir or Path(tempfile.mkdtemp(prefix="podcast-bench-"))).resolve()
    corpus, db, home = work / "raw", work / "warehouse.duckdb", work / "dagster"
    for path in (corpus, home, work / ".dagster"):
        shutil.rmtree(path, ignore_errors=True)
    db.unlink(missing_ok=True)
    home.mkdir(parents=True)
    _instance_config(home / "dagster.yaml")
    print(f"generating {args.n} files (seed {args.seed}) ...", flush=True)
    stats = generate_corpus(corpus, args.n, seed=args.seed)
    env = {
        **os.environ,
        # The phases run in the work directory; `benchmarks` lives in the repository.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(_REPO), os.environ.get("PYTHONPATH")])),
        "DAGSTER_HOME": str(home),
        "PODCAST_RAW_DIR": str(corpus),
        "PODCAST_WAREHOUSE": str(db),
    }
    refresh = [sys.executable, "-m", "podcast_assets.cli", "refresh"]

    def bare(which: str) -> list[str]:
        return [sys.executable, "-m", "benchmarks.run", "--phase", which, "--corpus", str(corpus)]

    results: dict[str, PhaseResult] = {}
    for which, name in BARE_PIPELINES.items():
        print(f"running {name} ...", flush=True)
        results[name] = run_phase(name, bare(which), env, work)
    for name in ("b. cold refresh", "c. no-op refresh"):
        print(f"running {name} ...", flush=True)
        results[name] = run_phase(name, refresh, env, work)
        if name.startswith("b."):
            breakdown_cmd = [sys.executable, "-m", "benchmarks.run", "--phase", "breakdown"]
            breakdown = run_phase("breakdown", breakdown_cmd, env, work)
    changed = _touch_one(corpus)
    print(f"running d. one file changed ({changed}) ...", flush=True)
    results["d. one file changed"] = run_phase("d", refresh, env, work)
    query = _leaderboard(db)

    words = results[BARE_PIPELINES["limit"]].detail["words"]
    wps = {which: words / results[name].detail["nlp_s"] for which, name in BARE_PIPELINES.items()}
    bare_wps = wps["limit"]
    report = {
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
        "phases": {},
        "leaderboard_query_ms": round(query["median_ms"], 1),
        "mentions_rows": query["mentions_rows"],
    }
    for name, result in results.items():
        entry: dict[str, Any] = {
            "wall_s": round(result.wall_s, 2),
            "peak_pss_mb": round(result.peak_pss_mb),
            "peak_rss_sum_mb": round(result.peak_rss_mb),
            "exit_code": result.exit_code,
        }
        seconds = result.detail.get("nlp_s", result.wall_s)
        if name.startswith(("a.", "b.")):
            entry["words_per_s"] = round(words / seconds)
            entry["episodes_per_min"] = round(stats.files / seconds * 60, 1)
        if name.startswith("a."):
            entry["nlp_s"] = round(seconds, 2)
        else:
            entry["summary"] = result.detail.get("output_tail")
        report["phases"][name] = entry
    cold_wps = words / results["b. cold refresh"].wall_s
    report["ratio_cold_to_bare"] = round(cold_wps / bare_wps, 3)
    report["ratios"] = {
        "cold refresh / limit": round(cold_wps / wps["limit"], 3),
        "cold refresh / previous pipeline": round(cold_wps / wps["previous"], 3),
        "cold refresh / our pipeline": round(cold_wps / wps["ours"], 3),
        "our pipeline / limit": round(wps["ours"] / wps["limit"], 3),
        "our pipeline / previous pipeline": round(wps["ours"] / wps["previous"], 3),
    }
    cold_s = results["b. cold refresh"].wall_s
    parts = {k: v for k, v in breakdown.detail.items() if k.endswith("_s")}
    parts["runs"] = breakdown.detail.get("runs", 0)
    parts["outside_runs_s"] = round(cold_s - parts.get("run_s", 0.0), 2)
    parts["bare_nlp_s"] = round(words / wps["ours"], 2)
    report["cold_breakdown"] = parts

    print(_render(report))
    if args.report:
        args.report.write_text(json.dumps(report, indent=2))
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    failed = [n for n, r in results.items() if r.exit_code != 0]
    return 1 if failed else 0


def _render(report: dict[str, Any]) -> str:
    m, c = report["machine"], report["corpus"]
    lines = [
        f"machine: {m['cpus']} cores, {m['memory_gb']} GB, Python {m['python']} ({m['processor']})",
        f"corpus: {c['files']} files, {c['bytes'] / 2**20:.1f} MiB, "
        f"{c['transcript_words']:,} transcript words, {c['by_format']}",
        "",
        f"{'phase':<30}{'wall s':>9}{'words/s':>10}{'episodes/min':>14}{'peak PSS MB':>13}"
        f"{'peak RSS MB':>13}",
    ]
    for name, p in report["phases"].items():
        wps = f"{p['words_per_s']:,}" if "words_per_s" in p else "-"
        epm = f"{p['episodes_per_min']}" if "episodes_per_min" in p else "-"
        wall = p.get("nlp_s", p["wall_s"])
        lines.append(
            f"{name:<30}{wall:>9.2f}{wps:>10}{epm:>14}{p['peak_pss_mb']:>13,}"
            f"{p['peak_rss_sum_mb']:>13,}"
        )
    b = {"run_s": 0.0, "planned_events_s": 0.0, "checks_s": 0.0} | report["cold_breakdown"]
    run_rest = b["run_s"] - b["planned_events_s"] - b.get("ingest_step_s", 0)
    run_rest -= b.get("extract_step_s", 0) + b.get("search_index_step_s", 0) + b["checks_s"]
    lines += [
        "",
        "cold refresh, where the time went (s): "
        f"outside runs (start, scan, plan) {b['outside_runs_s']:.1f}; "
        f"planned events {b['planned_events_s']:.1f}; ingest step {b.get('ingest_step_s', 0):.1f}; "
        f"extract step {b.get('extract_step_s', 0):.1f} (our pipeline bare {b['bare_nlp_s']:.1f}); "
        f"search index {b.get('search_index_step_s', 0):.1f}; "
        f"checks {b['checks_s']:.1f}; rest of the runs {run_rest:.1f}",
        *(f"{name} (throughput ratio): {ratio:.1%}" for name, ratio in report["ratios"].items()),
        f"entity_leaderboard query (median of 7): {report['leaderboard_query_ms']} ms "
        f"over {report['mentions_rows']:,} mentions",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
