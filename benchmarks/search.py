"""The full-text search benchmark: index build time and size, and query latency.

    python -m benchmarks.search WAREHOUSE.duckdb

Works on a copy of the warehouse in a temporary directory (the original is never written): builds
the search index, then times 20 queries through `search` (one warm-up pass, then each query
`--repeat` times) and the same queries through the `search_segments` macro. Half the queries are
fixed (words, phrases, stemmed forms, stop words, filters); half are phrases drawn from the
warehouse's own segments, so any warehouse gets queries that match something.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import duckdb

from podcast_assets.search import IndexStats, build_search_index, load_fts, search

# (query, filters): broad and rare words, stemmed forms, phrases, stop words, each filter.
FIXED: tuple[tuple[str, dict[str, Any]], ...] = (
    ("machine learning", {}),
    ("GPU", {}),
    ("talked about training models", {}),
    ("compost on a balcony", {}),
    ("the future of data science", {}),
    ("inference costs", {"show": "science"}),
    ("open source", {"speaker": "a"}),
    ("weather forecast", {"since": date(2024, 1, 1)}),
    ("accelerators", {}),
    ("what do you think", {}),
)
SAMPLED = 10
# Changed transcripts searched without the index: 1% and 10% (the rebuild threshold) of 1,000.
TAILS = (10, 100)


def _sampled_phrases(con: duckdb.DuckDBPyConnection, n: int, seed: int) -> list[str]:
    """`n` phrases of 3-5 words from random passages (deterministic for a warehouse and seed)."""
    texts = [
        t for (t,) in con.execute("SELECT text FROM search_passages ORDER BY passage_id").fetchall()
    ]
    rng = random.Random(seed)
    phrases: list[str] = []
    while texts and len(phrases) < n:
        words = rng.choice(texts).split()
        k = min(len(words), rng.choice((3, 4, 5)))
        i = rng.randrange(len(words) - k + 1)
        phrases.append(" ".join(words[i : i + k]))
    return phrases


def _timed(run: Callable[[], object], repeat: int) -> float:
    """Best of `repeat` runs, in milliseconds (the noise of a shared machine is all upward)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _macro(con: duckdb.DuckDBPyConnection, query: str) -> list[tuple[Any, ...]]:
    return con.execute("SELECT * FROM search_segments(?, k := 10)", [query]).fetchall()


def _latencies(
    con: duckdb.DuckDBPyConnection, queries: list[tuple[str, dict[str, Any]]], repeat: int
) -> dict[str, Any]:
    """Per query: `search` (limit 10) and the macro (k := 10), after a warm-up pass."""
    for query, filters in queries:
        search(con, query, **filters)
    api = [_timed(partial(search, con, q, **f), repeat) for q, f in queries]
    macro = [_timed(partial(_macro, con, q), repeat) for q, _ in queries]
    hits = [len(search(con, q, **f)) for q, f in queries]
    return {"search_ms": api, "macro_ms": macro, "hits": hits}


def _tail_median(db: Path, queries: list[tuple[str, dict[str, Any]]], n: int, repeat: int) -> float:
    """Median `search` latency once `n` indexed transcripts count as changed since the build
    (their passages are then scored on the fly: the cost a refresh's tail adds to queries)."""
    with duckdb.connect(str(db)) as con:
        con.execute(
            "UPDATE episodes SET ingested_at = ingested_at + INTERVAL 1 SECOND WHERE episode_id "
            "IN (SELECT DISTINCT episode_id FROM search_passages ORDER BY episode_id LIMIT ?)",
            [n],
        )
    with duckdb.connect(str(db), read_only=True) as con:
        load_fts(con)
        timings = _latencies(con, queries, repeat)
    return round(statistics.median(timings["search_ms"]), 1)


def _build(db: Path) -> tuple[IndexStats, int, int, int]:
    """Build the index in `db`: its figures, the file's size before and after, and how much of
    it was free before (the index fills free blocks first, so the file grows by less)."""
    with duckdb.connect(str(db)) as con:
        con.execute("CHECKPOINT")  # fold a copied write-ahead log in: "before" is the file
        before = db.stat().st_size
        (free,) = con.execute(
            "SELECT free_blocks * block_size FROM pragma_database_size()"
        ).fetchall()[0]
        stats = build_search_index(con)
    return stats, before, db.stat().st_size, int(free)


def _summary(timings: dict[str, Any]) -> dict[str, float]:
    return {
        f"{name}_{stat}_ms": round(fn(timings[f"{name}_ms"]), 1)
        for name in ("search", "macro")
        for stat, fn in (("median", statistics.median), ("p95", lambda v: _percentile(v, 0.95)))
    }


def _print(
    report: dict[str, Any], queries: list[tuple[str, dict[str, Any]]], timings: dict[str, Any]
) -> None:
    r = report
    print(f"build            {r['build_s']:.2f} s")
    print(f"passages         {r['passages']} ({r['english_passages']} English)")
    print(f"episodes         {r['episodes']}")
    print(f"file size        {r['file_mb_before']} MB -> {r['file_mb_after']} MB")
    print(f"free before      {r['free_mb_before']} MB (reused by the index before the file grows)")
    print(f"index size       {r['index_mb']} MB (passage tables and fts indexes)")
    print(f"first query      {r['first_query_ms']} ms (new connection)")
    print(f"search()         median {r['search_median_ms']} ms, p95 {r['search_p95_ms']} ms")
    print(f"search_segments  median {r['macro_median_ms']} ms, p95 {r['macro_p95_ms']} ms")
    for n in TAILS:
        ms = r[f"search_median_ms_tail_{n}"]
        print(f"search() with {n} changed transcripts unindexed: median {ms} ms")
    for (query, filters), ms, n in zip(queries, timings["search_ms"], timings["hits"], strict=True):
        where = " ".join(f"{k}={v}" for k, v in filters.items())
        print(f"  {ms:8.1f} ms {n:3d} hits  {query!r} {where}".rstrip())
    print("BENCH " + json.dumps(report))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", type=Path, help="a warehouse file (it is copied, not changed)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per query (best kept)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sampled phrases")
    args = parser.parse_args(argv)
    if not args.warehouse.is_file():
        parser.error(f"no warehouse at {args.warehouse}")
    with tempfile.TemporaryDirectory(prefix="search-bench-") as tmp:
        db = Path(tmp) / "warehouse.duckdb"
        shutil.copyfile(args.warehouse, db)
        wal = args.warehouse.with_name(args.warehouse.name + ".wal")
        if wal.exists():
            shutil.copyfile(wal, db.with_name(db.name + ".wal"))
        stats, before, after, free = _build(db)
        with duckdb.connect(str(db), read_only=True) as con:
            load_fts(con)
            started = time.perf_counter()
            search(con, "machine learning")
            cold_ms = (time.perf_counter() - started) * 1000
            queries = [*FIXED, *((p, {}) for p in _sampled_phrases(con, SAMPLED, args.seed))]
            timings = _latencies(con, queries, args.repeat)
        tails = {n: _tail_median(db, queries, n, args.repeat) for n in TAILS}
    report = {
        "build_s": stats.seconds,
        "passages": stats.passages,
        "english_passages": stats.english_passages,
        "episodes": stats.episodes,
        "file_mb_before": round(before / 1e6, 1),
        "file_mb_after": round(after / 1e6, 1),
        "free_mb_before": round(free / 1e6, 1),
        "index_mb": None if stats.size_bytes is None else round(stats.size_bytes / 1e6, 1),
        "queries": len(queries),
        "first_query_ms": round(cold_ms, 1),
        **_summary(timings),
        **{f"search_median_ms_tail_{n}": ms for n, ms in tails.items()},
    }
    _print(report, queries, timings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
