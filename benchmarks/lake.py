"""The scale-out benchmark: one run on the DuckDB file against concurrent runs on a DuckLake.

    python -m benchmarks.lake --n 200        (or: make bench BACKEND=lake)

On one corpus, in one report:
  file   `podcast-assets refresh` cold into a DuckDB file: one run, one writer (the default);
  lake   the same refresh into a DuckLake on a throwaway PostgreSQL (which also holds the
         Dagster instance, `instances/lake/dagster.yaml`), split into PODCAST_CONCURRENT_RUNS
         runs (default: the cores), while a reader process queries the lake in a loop;
  then the lake's upkeep (`warehouse.upkeep.compact`, what `warehouse_upkeep_job` runs) with
  its Parquet file count before and after. Per run: partitions, words, seconds, words/s.
Needs the PostgreSQL binaries (Debian: `postgresql`); says so and stops without them.
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
from pathlib import Path
from typing import Any

from benchmarks.corpus import generate_corpus
from benchmarks.run import run_phase
from podcast_assets_tests.postgres import PostgresUnavailable, create_database, running_postgres

_REPO = Path(__file__).resolve().parents[1]

_READER = """
import json, os, sys, time
from podcast_assets import warehouse
target, stop, out = sys.argv[1], sys.argv[2], sys.argv[3]
latencies, errors = [], []
while not os.path.exists(stop):
    started = time.perf_counter()
    try:
        with warehouse.open_reader(target) as con:
            con.execute("SELECT count(*) FROM segments").fetchall()
            con.execute("SELECT * FROM entity_leaderboard LIMIT 10").fetchall()
        latencies.append(time.perf_counter() - started)
    except warehouse.WarehouseMissingError:
        pass
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}"[:300])
    time.sleep(0.2)
json.dump({"latencies": latencies, "errors": errors}, open(out, "w"))
"""


def _per_run(env: dict[str, str], target: str) -> list[dict[str, Any]]:
    """Each run of the lake refresh: its partitions, their words, its wall time (Dagster's)."""
    script = """
import json, dagster as dg
from podcast_assets import warehouse
import sys
target = sys.argv[1]
with warehouse.open_reader(target) as con:
    words = dict(con.execute("SELECT episode_id, coalesce(word_count, 0) FROM episodes").fetchall())
out = []
with dg.DagsterInstance.get() as instance:
    for record in instance.get_run_records():
        run = record.dagster_run
        if run.job_name != "refresh_job" or not record.start_time or not record.end_time:
            continue
        tags = run.tags
        start = tags.get("dagster/asset_partition_range_start") or tags.get("dagster/partition")
        end = run.tags.get("dagster/asset_partition_range_end") or start
        keys = [k for k in sorted(words) if start <= k <= end]
        out.append({"run": run.run_id[:8], "status": str(run.status).split(".")[-1],
                    "partitions": len(keys), "words": sum(words[k] for k in keys),
                    "seconds": round(record.end_time - record.start_time, 1)})
print(json.dumps(out))
"""
    done = subprocess.run(
        [sys.executable, "-c", script, target], env=env, capture_output=True, text=True, check=True
    )
    runs = json.loads(done.stdout.strip().splitlines()[-1])
    for run in runs:
        run["words_per_s"] = round(run["words"] / run["seconds"]) if run["seconds"] else None
    return runs


def _upkeep(env: dict[str, str], target: str) -> dict[str, Any]:
    script = """
import json, sys
from datetime import timedelta
from podcast_assets import warehouse
from podcast_assets.warehouse.upkeep import compact
target = sys.argv[1]
with warehouse.open_writer(target) as con:
    done = compact(con, timedelta(0), warehouse.lake_location(target).data_path)
print(json.dumps({"files_before": done.files_before, "files_after": done.files_after,
                  "snapshots_before": done.snapshots_before,
                  "snapshots_after": done.snapshots_after, "seconds": round(done.seconds, 2)}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script, target], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="episodes in the corpus")
    parser.add_argument("--runs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--report", type=Path, default=None, help="also write JSON here")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="podcast-bench-lake-")).resolve()
    try:
        with running_postgres() as pg:
            report = _bench(work, pg.url, args.n, args.runs)
    except PostgresUnavailable as exc:
        print(f"bench BACKEND=lake needs PostgreSQL: {exc}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(_render(report))
    if args.report:
        args.report.write_text(json.dumps(report, indent=2))
    return 0 if all(p["exit_code"] == 0 for p in report["phases"].values()) else 1


def _bench(work: Path, pg_url: str, n: int, runs: int) -> dict[str, Any]:
    corpus = work / "raw"
    print(f"generating {n} files ...", flush=True)
    stats = generate_corpus(corpus, n)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PODCAST_", "DAGSTER_"))}
    base["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_REPO), os.environ.get("PYTHONPATH")]))
    base["PODCAST_RAW_DIR"] = str(corpus)
    refresh = [sys.executable, "-m", "podcast_assets.cli", "refresh", "--skip-search-index"]

    file_home = work / "home-file"
    file_home.mkdir()
    shutil.copyfile(_REPO / "dagster.yaml", file_home / "dagster.yaml")
    file_env = base | {
        "DAGSTER_HOME": str(file_home),
        "PODCAST_WAREHOUSE": str(work / "warehouse.duckdb"),
    }
    print("running file: one run into a DuckDB file ...", flush=True)
    file_phase = run_phase("file", refresh, file_env, work)

    lake_home = work / "home-lake"
    lake_home.mkdir()
    shutil.copyfile(_REPO / "instances" / "lake" / "dagster.yaml", lake_home / "dagster.yaml")
    target = f"ducklake:postgres:{create_database(pg_url, 'lake')}"
    lake_env = base | {
        "DAGSTER_HOME": str(lake_home),
        "DAGSTER_PG_URL": create_database(pg_url, "instance"),
        "DAGSTER_EVENT_BATCH_SIZE": "1000",
        "PODCAST_WAREHOUSE": target,
        "PODCAST_LAKE_DATA": str(work / "lake"),
        "PODCAST_CONCURRENT_RUNS": str(runs),
    }
    stop, seen_file = work / "stop-reader", work / "reader.json"
    reader = subprocess.Popen(
        [sys.executable, "-c", _READER, target, str(stop), str(seen_file)], env=lake_env
    )
    print(f"running lake: {runs} concurrent runs into a DuckLake ...", flush=True)
    lake_phase = run_phase("lake", refresh, lake_env, work)
    stop.touch()
    reader.wait(timeout=120)
    seen = json.loads(seen_file.read_text())
    per_run = _per_run(lake_env, target)
    upkeep = _upkeep(lake_env, target)

    words = stats.words
    latencies = sorted(seen["latencies"]) or [0.0]
    return {
        "machine": {"cpus": os.cpu_count()},
        "corpus": {"files": stats.files, "transcript_words": words},
        "phases": {
            name: {
                "wall_s": round(p.wall_s, 1),
                "words_per_s": round(words / p.wall_s),
                "peak_pss_mb": round(p.peak_pss_mb),
                "exit_code": p.exit_code,
                "summary": p.detail.get("output_tail"),
            }
            for name, p in (("file, 1 run", file_phase), (f"lake, {runs} runs", lake_phase))
        },
        "aggregate_speedup": round(file_phase.wall_s / lake_phase.wall_s, 2),
        "lake_runs": per_run,
        "reader": {
            "queries": len(seen["latencies"]),
            "errors": len(seen["errors"]),
            "first_errors": seen["errors"][:3],
            "median_ms": round(statistics.median(latencies) * 1000),
            "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))] * 1000),
        },
        "upkeep": upkeep,
    }


def _render(report: dict[str, Any]) -> str:
    c = report["corpus"]
    lines = [
        f"corpus: {c['files']} files, {c['transcript_words']:,} transcript words; "
        f"{report['machine']['cpus']} cores",
        f"{'phase':<16}{'wall s':>9}{'words/s':>10}{'peak PSS MB':>13}{'exit':>6}",
    ]
    for name, p in report["phases"].items():
        lines.append(
            f"{name:<16}{p['wall_s']:>9.1f}{p['words_per_s']:>10,}{p['peak_pss_mb']:>13,}"
            f"{p['exit_code']:>6}"
        )
    lines.append(f"aggregate: the lake's runs together are {report['aggregate_speedup']}x one run")
    for run in report["lake_runs"]:
        lines.append(
            f"  run {run['run']} ({run['status']}): {run['partitions']} partitions, "
            f"{run['words']:,} words in {run['seconds']} s = {run['words_per_s']} words/s"
        )
    r, u = report["reader"], report["upkeep"]
    lines += [
        f"reader during the lake refresh: {r['queries']} queries, {r['errors']} errors, "
        f"median {r['median_ms']} ms, p95 {r['p95_ms']} ms",
        f"upkeep: {u['files_before']} -> {u['files_after']} Parquet files, "
        f"{u['snapshots_before']} -> {u['snapshots_after']} snapshots in {u['seconds']} s",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
