"""Full-text search over transcripts: where in which episode was something said.

`search` ranks passages (see `search_index`) by BM25, one hit per stretch of an episode, and
lands each hit on its first cue that holds a query word. Transcripts added or re-ingested
since the index was built are scored on the fly against the index's own statistics, so a
refresh never has to rebuild the whole index to make a new episode findable.

Ad hoc SQL: `search_segments(q, k := 10)` returns what `search(con, q, limit=k)` does for the
indexed transcripts (with the passage's start, not its first matching cue's), once the session
has loaded the packaged fts extension (`podcast-assets sql` does; in the DuckDB CLI, `LOAD` the
path `fts_extension_path()` prints, before any `SET enable_external_access`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

import duckdb

from podcast_assets import sqlfiles
from podcast_assets.search_index import (
    IGNORE,
    INDEXES,
    SCORED_SQL,
    SEARCH_PASSAGES,
    STRIDE,
    TERMS_SQL,
    IndexStats,
    SearchIndex,
    SearchUnavailableError,
    build_search_index,
    check_supported,
    clock_and_link,
    fill_sql,
    fts_extension_path,
    hit_columns,
    load_fts,
    stale_episodes,
    stale_ids,
)
from podcast_assets.sqlfiles import sql_literal

__all__ = [
    "INDEXES",
    "SEARCH_PASSAGES",
    "Hit",
    "IndexStats",
    "SearchUnavailableError",
    "build_search_index",
    "fts_extension_path",
    "load_fts",
    "search",
    "stale_episodes",
    "stale_ids",
]


@dataclass(frozen=True, slots=True)
class Hit:
    """One ranked passage: which episode, when and by whom the words were said, where to hear."""

    show_name: str | None
    title: str | None
    episode_id: str
    seq: int  # first segment of the passage
    start_seconds: float | None
    timestamp: str | None  # start as hh:mm:ss
    speaker: str | None
    snippet: str  # ~30 words around the first match, matched words between MARKs
    score: float  # BM25 in the passage's own index
    link: str | None  # enclosure URL, with #t=<seconds> when timed


def search(
    con: duckdb.DuckDBPyConnection,
    query: str,
    *,
    show: str | None = None,
    speaker: str | None = None,
    since: date | None = None,
    limit: int = 10,
    stale: Sequence[str] | None = None,
) -> list[Hit]:
    """The best passages for `query`, best first, one per stretch of an episode's transcript.

    `show` and `speaker` match case-insensitive substrings; `since` keeps episodes published
    on or after that day (UTC; undated ones drop out). A query of no words, or of English stop
    words in English passages, finds [] rather than raising, as a search box expects.
    `stale`: `stale_ids(con)`, when the caller has it already.
    """
    if limit < 1 or not query.strip():
        return []
    check_supported(con)
    load_fts(con)
    # An index's fixed cost is ~10 ms even when empty (most warehouses are all English).
    sizes = ", ".join(f"(SELECT max(num_docs) FROM {i.schema}.stats)" for i in INDEXES)
    try:
        docs = con.execute(f"SELECT {sizes}").fetchall()[0]
    except duckdb.CatalogException:
        raise SearchUnavailableError("no search index: run build_search_index first") from None
    # Each kept hit hides at most its two neighbours, so 3 * limit candidates are enough.
    params = {"q": query, "show": show, "speaker": speaker, "since": since, "n": 3 * limit}
    # Changed since the build: their indexed passages are out of date, their new ones unindexed.
    stale = list(stale_ids(con) or [] if stale is None else stale)
    if stale:  # their passages, built once for both indexes
        passages_sql = sqlfiles.load("search_passages").sql
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _search_tail AS {passages_sql}",
            {"only": stale, "stride": STRIDE},
        )
    found: list[_Candidate] = []
    for index, n in zip(INDEXES, docs, strict=True):
        rows = []
        if n:
            rows += con.execute(_candidates_sql(index), {**params, "skip": stale}).fetchall()
        if stale:
            rows += con.execute(_tail_sql(index), params).fetchall()
        found.extend((Hit(*row[6:]), *row[:6]) for row in rows)
    if stale:
        con.execute("DROP TABLE _search_tail")
    best = _collapse(found)[:limit]
    if not best:
        return []
    # Snippets last, for the kept hits only: marking stems every word of a passage.
    passages = [{"t": c[3], "terms": c[4], "stemmer": c[5]} for c in best]
    (snippets,) = con.execute(
        "SELECT list_transform(?, lambda p: search_snippet(p.t, p.terms, p.stemmer))", [passages]
    ).fetchall()[0]
    hits = [replace(c[0], snippet=text) for c, text in zip(best, snippets, strict=True)]
    return _at_first_match(con, hits, best)


def _at_first_match(
    con: duckdb.DuckDBPyConnection, hits: list[Hit], best: list[_Candidate]
) -> list[Hit]:
    """Each hit's time and link moved to its first segment that holds a query word: a passage
    starts up to two cues before the words, and a listener wants to land on them."""
    spans = [
        {
            "i": i,
            "e": h.episode_id,
            "a": h.seq,
            "b": c[2],
            "terms": c[4],
            "stemmer": c[5],
            "audio": c[6],
        }
        for i, (h, c) in enumerate(zip(hits, best, strict=True))
    ]
    for i, seq, start, clock, link in con.execute(_FIRST_MATCH_SQL, [spans]).fetchall():
        if seq != hits[i].seq and start is not None:
            hits[i] = replace(hits[i], seq=seq, start_seconds=start, timestamp=clock, link=link)
    return hits


# The first segment of each span whose words (tokenized and stemmed as the index does) hold
# a query term, with its start.
_FIRST_MATCH_SQL = f"""SELECT i, seq, start, {clock_and_link("start", "audio")},
    {clock_and_link("start", "audio", link=True)}
FROM (
    SELECT h.i, any_value(h.audio) AS audio, min(s.seq) AS seq,
        arg_min(s.start_seconds, s.seq) AS start
    FROM (SELECT unnest(?, recursive := true)) h
    JOIN segments s ON s.episode_id = h.e AND s.seq BETWEEN h.a AND h.b
    WHERE list_has_any(h.terms, list_transform(string_split_regex(regexp_replace(
        lower(strip_accents(s.text)), {sql_literal(IGNORE)}, ' ', 'g'), '\\s+'),
        lambda t: stem(t, h.stemmer)))
    GROUP BY h.i
)"""


# A hit with its passage_id, last_seq, text, query terms, stemmer and audio URL.
_Candidate = tuple[Hit, int, int, str, list[str], str, str | None]


def _collapse(found: list[_Candidate]) -> list[_Candidate]:
    """Best first, dropping a passage that overlaps a better one of the same episode: the
    windows share a segment, whose words must not come back as two hits."""
    kept: dict[str, list[tuple[int, int]]] = {}
    out: list[_Candidate] = []
    for candidate in sorted(found, key=lambda c: (-c[0].score, c[1])):
        hit, last = candidate[0], candidate[2]
        spans = kept.setdefault(hit.episode_id, [])
        if any(hit.seq <= b and a <= last for a, b in spans):
            continue
        spans.append((hit.seq, last))
        out.append(candidate)
    return out


_FILTERS = """($show::VARCHAR IS NULL OR contains(lower(show_name), lower($show::VARCHAR)))
    AND ($speaker::VARCHAR IS NULL OR contains(lower(speaker), lower($speaker::VARCHAR)))
    AND ($since::DATE IS NULL OR timezone('UTC', published_at)::DATE >= $since::DATE)"""


def _candidates_sql(index: SearchIndex) -> str:
    """The `$n` best indexed passages of one index that pass the filters, with their hit
    columns; passages of the `$skip` episodes (changed since the build) left out."""
    return f"""WITH scored AS (
        {fill_sql(SCORED_SQL, index, "$q")} AND {_FILTERS}
            AND NOT list_contains($skip::VARCHAR[], episode_id)
        ORDER BY score DESC, passage_id LIMIT $n
    )
    SELECT passage_id, last_seq, text, terms, stemmer, enclosure_url, {hit_columns("''")}
    FROM scored, ({fill_sql(TERMS_SQL, index, "$q")})"""


def _tail_sql(index: SearchIndex) -> str:
    """The same for the passages of the episodes changed since the build (`_search_tail`),
    scored on the fly.

    BM25 as the fts extension computes it (k = 1.2, b = 0.75), with the index's document
    frequencies and mean length, so these scores rank with the indexed ones. Ids negative:
    never an indexed passage's.
    """
    stem, schema = index.stemmer, index.schema
    return f"""WITH p AS (
        SELECT * REPLACE (-passage_id AS passage_id) FROM _search_tail
        WHERE english = {index.english}
    ), toks AS (
        SELECT passage_id, stem(t, '{stem}') AS term FROM (
            SELECT passage_id, unnest({schema}.tokenize(text)) AS t FROM p
        ) WHERE t <> '' AND t NOT IN (SELECT sw FROM {schema}.stopwords)
    ), lens AS (SELECT passage_id, count(*) AS len FROM toks GROUP BY ALL),
    q AS ({fill_sql(TERMS_SQL, index, "$q")}),
    tf AS (
        SELECT passage_id, term, count(*) AS tf FROM toks, q
        WHERE list_contains(q.terms, term) GROUP BY ALL
    ), corpus AS (  -- the index's documents plus these, as a rebuild would count them
        SELECT coalesce(max(num_docs), 0) + (SELECT count(*) FROM lens) AS n,
            (coalesce(max(num_docs * avgdl), 0) + (SELECT sum(len) FROM lens))
                / (coalesce(max(num_docs), 0) + (SELECT count(*) FROM lens)) AS avgdl
        FROM {schema}.stats
    ), df AS (
        SELECT t.term, coalesce(any_value(d.df), 0) + count(DISTINCT t.passage_id) AS df
        FROM tf t LEFT JOIN {schema}.dict d ON d.term = t.term
        GROUP BY t.term
    ), scores AS (
        SELECT tf.passage_id, sum(log((c.n - f.df + 0.5) / (f.df + 0.5) + 1)
            * tf.tf * 2.2 / (tf.tf + 1.2 * (0.25 + 0.75 * l.len / c.avgdl))) AS score
        FROM tf JOIN lens l USING (passage_id) JOIN df f USING (term) CROSS JOIN corpus c
        GROUP BY tf.passage_id
    ), scored AS (
        SELECT p.*, s.score, '{stem}' AS stemmer FROM p JOIN scores s USING (passage_id)
        WHERE {_FILTERS}
        ORDER BY s.score DESC, passage_id LIMIT $n
    )
    SELECT passage_id, last_seq, text, terms, stemmer, enclosure_url, {hit_columns("''")}
    FROM scored, q"""
