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
  e. warm    the same change, refreshed by a warm `podcast-assets watch` (benchmarks/warm.py);
  then the entity-leaderboard query on the resulting warehouse.
Peak memory (PSS) is sampled over the child's whole process tree (spaCy workers included).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.corpus import generate_corpus
from benchmarks.memory import peak_memory
from benchmarks.report import BARE_PIPELINES, PhaseResult, build_report, render
from benchmarks.warm import warm_one_file

_REPO = Path(__file__).resolve().parents[1]


def run_phase(name: str, argv: list[str], env: dict[str, str], cwd: Path) -> PhaseResult:
    """Run one child, sampling the memory of it and its descendants (see `peak_memory`).

    Both PSS and the sum of RSS are reported: PSS is the memory the phase really holds (the
    forked spaCy workers share the model's pages), RSS the figure tools show.
    """
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    with peak_memory(proc.pid) as peak:
        out, err = proc.communicate()
        wall = time.perf_counter() - started
    detail: dict[str, Any] = {}
    for line in out.splitlines():
        if line.startswith("BENCH "):
            detail = json.loads(line[len("BENCH ") :])
    if proc.returncode != 0 and not detail:
        sys.stderr.write(f"phase {name} failed ({proc.returncode}):\n{err[-3000:]}\n{out[-2000:]}")
    detail.setdefault("output_tail", out.strip().splitlines()[-4:])
    return PhaseResult(name, wall, peak.pss / 2**20, peak.rss / 2**20, proc.returncode, detail)


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
    parser.add_argument(
        "--skip-bare",
        action="store_true",
        help="only the refreshes (no limit phases, so no throughput ratios in this report)",
    )
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
    for which, name in BARE_PIPELINES.items() if not args.skip_bare else ():
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
    print("running e. one file changed, warm watch ...", flush=True)
    warm = warm_one_file(lambda: _touch_one(corpus), env, work)
    query = _leaderboard(db)

    report = build_report(results, stats, breakdown, query, warm)
    print(render(report))
    if args.report:
        args.report.write_text(json.dumps(report, indent=2))
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    failed = [n for n, r in results.items() if r.exit_code != 0] + (
        [] if warm["exit_code"] == 0 else ["warm"]
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
