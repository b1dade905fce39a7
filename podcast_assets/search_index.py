"""The full-text index: passages of a few consecutive segments, and their BM25 indexes.

A passage is up to `WINDOW` consecutive segments of one speaker turn of an episode's transcript
of record (another format of it is not indexed twice). Consecutive passages share a segment,
so a phrase split across two cues is inside one. English passages get the English stemmer and
stop words; other languages neither (the English list holds their words: "come", "per"). An
fts index has one stemmer, hence two tables and indexes. The rebuild is one transaction: a
reader sees the old index or the new one. Each passage keeps its episode's `ingested_at`, so
what changed since the build is known exactly (`stale_ids`) and searched without the index
(`search`), until the next rebuild.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from podcast_assets import sqlfiles
from podcast_assets.columns import Column, Table
from podcast_assets.schema import EPISODE_ID
from podcast_assets.sqlfiles import sql_literal
from podcast_assets.warehouse import extensions, transaction
from podcast_assets.warehouse.ddl import is_lake, table_ddl
from podcast_assets.warehouse.reads import storage_bytes

# The `search_index` asset's code version: bump when passages or their tokenizing change.
INDEX_VERSION = "1"
# Segments per passage. Measured on the samples (400 random 3-5 word phrases) and a 1,000-file
# corpus: 3 finds as many phrases first as 2 (and 30/58 split ones against 23) with half the
# passages (build 16 s against 26 s; the file grows 26 MB against 45); 4 or 5 find no more and the
# hit's start time lands further from the words.
WINDOW = 3
STRIDE = WINDOW - 1  # consecutive passages share one segment
SNIPPET_WORDS = 30
SNIPPET_BEFORE = 10  # words kept before the first match
MARK = "**"  # around matched words: markdown bold, which the UI and a terminal both read
# Punctuation the tokenizer drops: fts's default and typographic dashes and quotes, but not
# digits (the default drops them), so "2024" or "GPT-4" can be searched.
_TYPOGRAPHIC = "\u2013\u2014\u2018\u2019\u201c\u201d\u00ab\u00bb\u2026"
IGNORE = r"""[!@#$%^&*()_+={}\[\]:;<>,.?~\\/|'`"\-""" + _TYPOGRAPHIC + "]+"


class SearchUnavailableError(RuntimeError):
    """No fts extension for this DuckDB version is installed, or no index was built."""


LAKE_UNSUPPORTED = (
    "full-text search needs a DuckDB-file warehouse: a DuckLake cannot hold the fts "
    "extension's index tables (they have NULL-typed columns). Query `segments` with SQL "
    "(ILIKE, regexp_matches) instead"
)


def check_supported(con: duckdb.DuckDBPyConnection) -> None:
    """Raise `SearchUnavailableError` on a backend that cannot hold the index."""
    if is_lake(con):
        raise SearchUnavailableError(LAKE_UNSUPPORTED)


_PASSAGE_COLUMNS = (
    Column("passage_id", "BIGINT", "Document id in the full-text index; unique in both.", False),
    replace(EPISODE_ID, description="The episode's transcript of record (a partition key)."),
    Column("episode_key", "VARCHAR", "The episode (see `episode_catalog`).", False),
    Column("first_seq", "INTEGER", "`segments.seq` of the passage's first segment.", False),
    Column("last_seq", "INTEGER", "`segments.seq` of its last segment.", False),
    Column("start_seconds", "DOUBLE", "Start time of the first segment; NULL if untimed."),
    Column("speaker", "VARCHAR", "The speaker of every segment in it; NULL when unknown."),
    Column("text", "VARCHAR", "The segments' text, joined by newlines.", False),
    Column("language", "VARCHAR", "`episodes.language` of the transcript; NULL: unknown."),
    Column("show_name", "VARCHAR", "Show name, as `episode_catalog` has it."),
    Column("title", "VARCHAR", "Episode title, as `episode_catalog` has it."),
    Column("published_at", "TIMESTAMPTZ", "Publication time, as `episode_catalog` has it."),
    Column("enclosure_url", "VARCHAR", "Audio of the feed item a file of the episode matched."),
    Column(
        "ingested_at",
        "TIMESTAMPTZ",
        "`episodes.ingested_at` when indexed: a newer one there means the index is stale.",
        False,
    ),
)
SEARCH_PASSAGES = Table(
    name="search_passages",
    grain=f"One row per passage: up to {WINDOW} consecutive segments of one speaker turn.",
    description=(
        "Consecutive passages of a turn share a segment. Only each episode's transcript of "
        "record is indexed. A view over `search_passages_en` (English stemming and stop "
        "words) and `search_passages_other`, each with its BM25 index, rebuilt whole by the "
        "`search_index` asset."
    ),
    columns=_PASSAGE_COLUMNS,
    partitioned=False,
)


@dataclass(frozen=True, slots=True)
class SearchIndex:
    """One passage table with its own fts index: which languages, and how words are normalised."""

    table: Table
    english: bool
    stemmer: str  # and stop words: fts names its English list and its empty one the same

    @property
    def schema(self) -> str:
        return f"fts_main_{self.table.name}"  # where create_fts_index puts the index


def _index(suffix: str, languages: str, english: bool) -> SearchIndex:
    grain = SEARCH_PASSAGES.grain.replace("passage:", f"{languages} passage:")
    table = replace(SEARCH_PASSAGES, name=f"{SEARCH_PASSAGES.name}_{suffix}", grain=grain)
    return SearchIndex(table, english, stemmer="english" if english else "none")


INDEXES = (
    _index("en", "English", True),
    _index("other", "non-English (or unknown language)", False),
)


@dataclass(frozen=True, slots=True)
class IndexStats:
    """What a rebuild indexed and what it cost: the asset's metadata."""

    passages: int
    english_passages: int
    episodes: int
    seconds: float
    size_bytes: int | None  # blocks of the passage tables and indexes, after a checkpoint


def fts_extension_path() -> Path:
    """The fts extension file shipped for the running DuckDB: loaded offline, never downloaded."""
    try:
        return extensions.extension_path("fts")
    except extensions.ExtensionUnavailableError as exc:
        raise SearchUnavailableError(f"full-text search: {exc}") from None


def load_fts(con: duckdb.DuckDBPyConnection) -> None:
    """Load the packaged fts extension into this connection (a no-op when it is loaded)."""
    con.execute(f"LOAD {sql_literal(str(fts_extension_path()))}")


def build_search_index(con: duckdb.DuckDBPyConnection) -> IndexStats:
    """Rebuild the passage tables, their BM25 indexes, the view and macros, in one transaction."""
    check_supported(con)
    load_fts(con)
    started = time.perf_counter()
    with transaction(con):
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _search_rows AS {sqlfiles.load('search_passages').sql}",
            {"stride": STRIDE, "only": None},
        )
        for index in INDEXES:
            con.execute(";\n".join(table_ddl(index.table, "CREATE OR REPLACE TABLE")))
            con.execute(
                f"INSERT INTO {index.table.name} SELECT {', '.join(index.table.column_names)} "
                "FROM _search_rows WHERE english = ? ORDER BY passage_id",
                [index.english],
            )
            con.execute(
                f"PRAGMA create_fts_index({sql_literal(index.table.name)}, 'passage_id', 'text', "
                f"stemmer={sql_literal(index.stemmer)}, stopwords={sql_literal(index.stemmer)}, "
                f"ignore={sql_literal(IGNORE)}, strip_accents=1, lower=1, overwrite=1)"
            )
        passages, english, episodes = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE english), count(DISTINCT episode_id) "
            "FROM _search_rows"
        ).fetchall()[0]
        con.execute("DROP TABLE _search_rows")
        con.execute(";\n".join(_view_and_macros()))
    seconds = time.perf_counter() - started
    fts = ("dict", "docs", "terms", "stats", "fields")
    names = [n for i in INDEXES for n in (i.table.name, *(f"{i.schema}.{t}" for t in fts))]
    return IndexStats(passages, english, episodes, round(seconds, 3), storage_bytes(con, names))


def stale_ids(con: duckdb.DuckDBPyConnection) -> list[str] | None:
    """Transcripts added, re-ingested or removed since the index was built (None: never built).

    Compares each indexed episode's `ingested_at` with `episodes`: exact, and no build log.
    """
    try:
        return [str(e) for (e,) in con.execute(_STALE_SQL).fetchall()]
    except duckdb.CatalogException:
        return None


def stale_episodes(con: duckdb.DuckDBPyConnection) -> int | None:
    """How many transcripts `stale_ids` finds; None: the index was never built."""
    check_supported(con)
    ids = stale_ids(con)
    return None if ids is None else len(ids)


# Changed transcripts are searched without the index, at ~9 ms per query each (1,000-episode
# benchmark: 10 of them add 90 ms to a 212 ms median). From this share of the indexed ones on,
# a refresh rebuilds the whole index (13 s at 1,000 episodes: less than the NLP of the 20 files
# such a refresh processes, while a one-file refresh does not pay it).
REBUILD_SHARE = 0.02


def rebuild_reason(con: duckdb.DuckDBPyConnection) -> str | None:
    """Why a refresh should rebuild the index now, or None when the stale tail is small (or
    the backend cannot hold an index)."""
    if is_lake(con):
        return None
    stale = stale_ids(con)
    if stale is None:
        return "never built"
    if not stale:
        return None
    sql = f"SELECT count(DISTINCT episode_id) FROM {SEARCH_PASSAGES.name}"
    (indexed,) = con.execute(sql).fetchall()[0]
    if len(stale) < max(1.0, REBUILD_SHARE * indexed):
        return None
    return f"{len(stale)} of {indexed} indexed transcripts changed"


_STALE_SQL = f"""WITH indexed AS (
    SELECT DISTINCT episode_id, ingested_at FROM {SEARCH_PASSAGES.name}
), current AS (
    SELECT e.episode_id, e.ingested_at FROM episode_catalog c
    JOIN episodes e ON e.episode_id = c.record_episode_id
    WHERE EXISTS (SELECT 1 FROM segments s WHERE s.episode_id = e.episode_id)
)
SELECT DISTINCT episode_id FROM (
    (FROM current EXCEPT FROM indexed) UNION ALL (FROM indexed EXCEPT FROM current)
) ORDER BY episode_id"""


TERMS_SQL = """SELECT coalesce(list(DISTINCT stem(t, '{stemmer}')), []) AS terms
    FROM (SELECT unnest({schema}.tokenize({q})) AS t)
    WHERE t <> '' AND t NOT IN (SELECT sw FROM {schema}.stopwords)"""
SCORED_SQL = """SELECT *, '{stemmer}' AS stemmer FROM (
        SELECT *, {schema}.match_bm25(passage_id, {q}) AS score FROM {table}
    ) WHERE score IS NOT NULL"""


def hit_columns(snippet: str) -> str:
    """What `search` and `search_segments` return, from a scored passage (the same SQL)."""
    return f"""show_name, title, episode_id, first_seq AS seq, start_seconds,
    {clock_and_link("start_seconds", "enclosure_url")}, speaker, {snippet} AS snippet, score,
    {clock_and_link("start_seconds", "enclosure_url", link=True)}"""


def clock_and_link(seconds: str, audio: str, *, link: bool = False) -> str:
    """A hit's `timestamp` (hh:mm:ss), or with `link` its `link` (the audio at that second)."""
    secs = f"floor({seconds})::BIGINT"
    if link:
        return f"{audio} || coalesce('#t=' || {secs}, '') AS link"
    return f"""CASE WHEN {seconds} IS NOT NULL THEN format('{{:02d}}:{{:02d}}:{{:02d}}',
        {secs} // 3600, {secs} % 3600 // 60, {secs} % 60) END AS timestamp"""


def fill_sql(template: str, index: SearchIndex, q: str) -> str:
    """A SQL template for one index (names and stemmer are our constants; the query a parameter)."""
    names = {"stemmer": index.stemmer, "schema": index.schema, "table": index.table.name}
    return template.format(q=q, **names)


def _view_and_macros() -> list[str]:
    """`search_passages` (both tables), `search_snippet` and `search_segments(q, k := 10)`.

    The macro drops a passage when an overlapping (so adjacent) one scores higher: of three
    overlapping passages `search` may keep the outer two, the macro only the best; its top hit
    is always `search`'s. It takes `k` so that only the kept hits' snippets are computed.
    """
    tables = " UNION ALL ".join(f"SELECT * FROM {i.table.name}" for i in INDEXES)
    hits = " UNION ALL ".join(
        f"SELECT * FROM ({fill_sql(SCORED_SQL, i, 'q')}), ({fill_sql(TERMS_SQL, i, 'q')})"
        for i in INDEXES
    )
    better = "(l{0}(score) OVER w, -l{0}(passage_id) OVER w) > (score, -passage_id)"
    return [
        f"CREATE OR REPLACE VIEW {SEARCH_PASSAGES.name} AS {tables}",
        f"COMMENT ON VIEW {SEARCH_PASSAGES.name} IS {sql_literal(SEARCH_PASSAGES.comment)}",
        _SNIPPET_MACRO,
        f"""CREATE OR REPLACE MACRO search_segments(q, k := 10) AS TABLE
        WITH hits AS ({hits}), kept AS (
            SELECT * FROM hits WINDOW w AS (PARTITION BY episode_id ORDER BY first_seq)
            QUALIFY NOT coalesce(lag(last_seq) OVER w >= first_seq AND {better.format("ag")}
                OR lead(first_seq) OVER w <= last_seq AND {better.format("ead")}, false)
            ORDER BY score DESC, passage_id LIMIT k
        )
        SELECT {hit_columns("search_snippet(text, terms, stemmer)")}
        FROM kept ORDER BY score DESC, passage_id""",
    ]


# ~SNIPPET_WORDS words from SNIPPET_BEFORE before the first word whose stem is a query term;
# every such word marked, its surrounding punctuation left outside the marks. One expression
# (each `list_transform([x], lambda name: ...)[1]` names a value), since DuckDB does not bind a
# macro's correlated arguments inside a subquery's lambdas.
_LAST = SNIPPET_WORDS - 1
_SNIPPET_MACRO = f"""CREATE OR REPLACE MACRO search_snippet(passage, terms, stemmer) AS
list_transform([string_split(trim(regexp_replace(passage, '\\s+', ' ', 'g')), ' ')], lambda words:
list_transform([list_transform(words, lambda w: list_has_any(list_transform(
    string_split_regex(regexp_replace(lower(strip_accents(w)), {sql_literal(IGNORE)}, ' ', 'g'),
        '\\s+'),
    lambda t: stem(t, stemmer)), terms))], lambda marks:
list_transform([greatest(1, least(coalesce(list_position(marks, true), 1) - {SNIPPET_BEFORE},
    len(words) - {_LAST}))], lambda lo:
    CASE WHEN lo > 1 THEN '… ' ELSE '' END
    || array_to_string(list_transform(words[lo:lo + {_LAST}], lambda w, i:
        CASE WHEN marks[lo + i - 1] THEN regexp_replace(
            w, '^([^\\pL\\pN]*)(.*?)([^\\pL\\pN]*)$', '\\1{MARK}\\2{MARK}\\3')
        ELSE w END), ' ')
    || CASE WHEN lo + {_LAST} < len(words) THEN ' …' ELSE '' END
)[1])[1])[1]"""
