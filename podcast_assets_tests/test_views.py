"""The analysis views on a real DuckDB file: hand-written rows first, then the sample files.

Hand-written rows go through `warehouse.replace_partitions`, exactly as the steps write them,
so each rule (merging files of one episode, ignoring renamed copies, per-minute buckets) is
checked on rows small enough to reason about.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from podcast_assets import warehouse
from podcast_assets.schema import EPISODES, MENTIONS, QUOTES, SEGMENTS, TOPICS
from podcast_assets.views import VIEWS

from .conftest import SEED_ENRICHED_881, SEED_PLAIN_881, refreshed_seeds

PUBLISHED_881 = datetime(2025, 4, 22, 11, 0, tzinfo=UTC)
PUBLISHED_886 = datetime(2025, 5, 6, 11, 0, tzinfo=UTC)
INGESTED = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


def episode(episode_id: str, key: str, fmt: str, sha: str, **extra: Any) -> dict[str, Any]:
    return {
        "episode_id": episode_id,
        "episode_key": key,
        "source_format": fmt,
        "source_file": f"{episode_id}.txt",
        "content_sha256": sha,
        "encoding": "utf-8",
        "ingested_at": INGESTED,
        "metadata_source": "front_matter" if fmt == "enriched_page" else "transcript",
        "timed": False,
        "speaker_count": 0,
        **extra,
    }


def mention(entity: str, source: str = "spacy", **extra: Any) -> dict[str, Any]:
    return {"entity": entity, "surface": entity, "label": "ORG", "source": source, **extra}


def quote(text: str, source: str = "heuristic", **extra: Any) -> dict[str, Any]:
    return {"text": text, "source": source, **extra}


def write_file(
    db: Path,
    row: dict[str, Any],
    *,
    segments: Sequence[dict[str, Any]] = (),
    mentions: Sequence[dict[str, Any]] = (),
    quotes: Sequence[dict[str, Any]] = (),
    topics: Sequence[dict[str, Any]] = (),
) -> None:
    """Write one file's partition the way ingest and extract do: two transactions."""
    eid, sha = row["episode_id"], row["content_sha256"]

    def own(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"episode_id": eid, **r} for r in rows]

    segs = [
        {"seq": i, "char_start": 0, **s} for i, s in enumerate(segments)
    ]  # char_start is irrelevant to the views that read segments
    with warehouse.open_writer(db) as con:
        warehouse.replace_partitions(
            con,
            "ingest",
            "1",
            [EPISODES, SEGMENTS],
            [warehouse.PartitionWrite(eid, sha, {"episodes": [row], "segments": own(segs)})],
        )
        rows = {"mentions": own(mentions), "quotes": own(quotes), "topics": own(topics)}
        warehouse.replace_partitions(
            con,
            "extract",
            "1",
            [MENTIONS, QUOTES, TOPICS],
            [warehouse.PartitionWrite(eid, sha, rows)],
        )


def query(db: Path, sql: str) -> list[dict[str, Any]]:
    with warehouse.open_reader(db) as con:
        result = con.execute(sql)
        names = [d[0] for d in result.description]
        return [dict(zip(names, r, strict=True)) for r in result.fetchall()]


def page_881() -> dict[str, Any]:
    return episode(
        "page881",
        "super-data-science:881",
        "enriched_page",
        "sha-page",
        show_name="Super Data Science",
        episode_number=881,
        title="881: Trainium with Emily Weber",
        published_at=PUBLISHED_881,
        duration_seconds=3600.0,
        tags=["aws", "chips"],
        guests=["Emily Weber"],
    )


def transcript_881(episode_id: str = "plain881") -> dict[str, Any]:
    return episode(
        episode_id,
        "super-data-science:881",
        "plain_transcript",
        "sha-plain",
        show_name="Super Data Science Podcast",
        episode_number=881,
        word_count=12000,
        host="Jon Krohn",
        guests=["Emily Weber"],
    )


def timed_episode() -> dict[str, Any]:
    return episode(
        "timed", "gradient-dissent:0", "timestamped_transcript", "sha-timed", host="Lukas Biewald"
    )


TIMED_SEGMENTS = [
    {"start_seconds": 0.0, "end_seconds": 5.0, "text": "Scheduling on a supercomputer"},
    {"start_seconds": 30.0, "end_seconds": 35.0, "text": "You're listening to Gradient Dissent"},
    {"start_seconds": 61.0, "end_seconds": 65.0, "text": "NVIDIA builds DGX machines"},
    {"start_seconds": 125.0, "end_seconds": 130.0, "text": "Kubernetes and Slurm"},
]
TIMED_QUOTES = [
    quote(
        "NVIDIA builds DGX machines",
        relevance_score=7,
        start_seconds=61.0,
        topics=["AI hardware"],
    ),
    quote("Kubernetes and Slurm", relevance_score=3, start_seconds=125.0),
]
TIMED_MENTIONS = [
    mention("Gradient Dissent", start_seconds=30.0),
    mention("NVIDIA", start_seconds=61.0, char_start=100),
    mention("NVIDIA", start_seconds=62.0),
    mention("DGX", start_seconds=61.0),
    mention("Kubernetes", start_seconds=125.0),
    mention("Slurm", start_seconds=126.0),
]


TIMED_ROWS: dict[str, list[dict[str, Any]]] = {
    "segments": TIMED_SEGMENTS,
    "mentions": TIMED_MENTIONS,
    "quotes": TIMED_QUOTES,
}
TRANSCRIPT_881_ROWS: dict[str, list[dict[str, Any]]] = {
    "mentions": [
        mention("Amazon Web Services", surface="AWS", char_start=40),
        mention("Amazon Web Services", surface="AWS"),
        mention("Amazon Web Services", surface="Amazon"),
        mention("AI", label="TOPIC"),
    ],
    "quotes": [
        # The same sentence as the page's quote, spaced differently: one quote.
        quote("Trainium  makes training cheaper on AWS. ", relevance_score=6, char_start=10),
        quote("She said the compiler is the hard part.", relevance_score=5, char_start=500),
    ],
    "topics": [
        {"topic": "AI hardware", "mentions": 9, "prominence": 0.9, "source": "taxonomy"},
        {"topic": "Compilers", "mentions": 2, "prominence": 0.2, "source": "taxonomy"},
    ],
}


@pytest.fixture(scope="module")
def _written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """881 as an enriched page and a transcript, 886 as a page, and one timed transcript."""
    path = tmp_path_factory.mktemp("views") / "w.duckdb"
    shared_quote = "Trainium makes training cheaper on AWS."
    write_file(
        path,
        page_881(),
        mentions=[mention("Amazon Web Services", "analyzer"), mention("Emily Weber", "analyzer")],
        quotes=[quote(shared_quote, "analyzer", relevance_score=8, topics=["AI hardware"])],
        topics=[{"topic": "AI hardware", "mentions": 4, "prominence": 0.4, "source": "analyzer"}],
    )
    write_file(path, transcript_881(), **TRANSCRIPT_881_ROWS)
    write_file(
        path,
        episode(
            "page886",
            "super-data-science:886",
            "enriched_page",
            "sha-886",
            show_name="Super Data Science",
            episode_number=886,
            published_at=PUBLISHED_886,
        ),
        mentions=[mention("Amazon Web Services", "analyzer"), mention("NVIDIA", "analyzer")],
        topics=[{"topic": "AI hardware", "mentions": 1, "prominence": 0.1, "source": "analyzer"}],
    )
    write_file(path, timed_episode(), **TIMED_ROWS)
    return path


@pytest.fixture
def db(_written: Path, tmp_path: Path) -> Path:
    """This test's own copy of the module's warehouse (written once: 4 files, 8 transactions)."""
    path = tmp_path / "w.duckdb"
    shutil.copyfile(_written, path)
    return path


def test_views_catalog_merges_the_files_of_one_episode(db):
    rows = {r["episode_key"]: r for r in query(db, "SELECT * FROM episode_catalog")}
    assert set(rows) == {"super-data-science:881", "super-data-science:886", "gradient-dissent:0"}
    ep = rows["super-data-science:881"]
    assert ep["source_formats"] == ["enriched_page", "plain_transcript"]
    assert ep["episode_ids"] == ["page881", "plain881"]
    assert ep["title"] == "881: Trainium with Emily Weber"
    assert ep["show_name"] == "Super Data Science"  # the page wins over the transcript
    assert ep["published_at"] == PUBLISHED_881
    assert ep["word_count"] == 12000
    assert ep["host"] == "Jon Krohn"
    assert ep["guests"] == ["Emily Weber"]
    assert ep["distinct_files"] == 2


def test_views_leaderboard_counts_episodes_not_files(db):
    rows = {r["entity"]: r for r in query(db, "SELECT * FROM entity_leaderboard")}
    aws = rows["Amazon Web Services"]
    # 881: page says 1, transcript 3 -> 3 (same audio); 886: 1.
    assert (aws["episodes"], aws["mentions"]) == (2, 4)
    assert aws["sources"] == ["analyzer", "spacy"]
    assert aws["first_seen"] == PUBLISHED_881
    assert aws["last_seen"] == PUBLISHED_886
    assert aws["episode_keys"] == ["super-data-science:881", "super-data-science:886"]
    # An episode without a publication date is placed by when it was ingested.
    assert rows["NVIDIA"]["episodes"] == 2
    assert rows["NVIDIA"]["last_seen"] == INGESTED


def test_views_leaderboard_breaks_label_ties_by_name(new_warehouse):
    db = new_warehouse
    tied = [
        mention("JAX", label="PRODUCT", category="ai_software"),
        mention("JAX", label="ORG", category="ai_application"),
        mention("JAX", label=None, category=None),
    ]
    write_file(db, episode("e", "k", "plain_transcript", "s"), mentions=tied)
    for _ in range(3):  # a tie decided by row order would flip between runs and files
        rows = query(db, "SELECT label, category, mentions FROM entity_leaderboard")
        assert rows == [{"label": "ORG", "category": "ai_application", "mentions": 3}]


def test_views_topic_trends_are_monthly_and_merge_files(db):
    rows = query(
        db,
        "SELECT topic, month, episodes, mentions, max_prominence, undated_episodes "
        "FROM topic_trends WHERE topic = 'AI hardware' ORDER BY month",
    )
    assert [(str(r["month"]), r["episodes"], r["mentions"]) for r in rows] == [
        ("2025-04-01", 1, 9),  # 881: max(4, 9)
        ("2025-05-01", 1, 1),
    ]
    assert rows[0]["max_prominence"] == 0.9
    assert all(r["undated_episodes"] == 0 for r in rows)


def test_views_quotes_by_entity_matches_words_and_positions_once(db):
    rows = query(
        db, "SELECT entity, episode_key, quote, relevance_score, matched_by FROM quotes_by_entity"
    )
    aws = [r for r in rows if r["entity"] == "Amazon Web Services"]
    # The page's and the transcript's copies of the quote are one row: the better-scored one.
    assert [(r["quote"], r["relevance_score"]) for r in aws] == [
        ("Trainium makes training cheaper on AWS.", 8)
    ]
    # "AI" is not a word of "She said ...".
    assert not [r for r in rows if r["entity"] == "AI"]
    nvidia = [r for r in rows if r["entity"] == "NVIDIA"]
    assert [(r["episode_key"], r["matched_by"]) for r in nvidia] == [("gradient-dissent:0", "text")]


def test_views_quotes_of_one_episode_are_kept_once(new_warehouse):
    db = new_warehouse
    page = episode("page", "show:1", "enriched_page", "s1")
    page_quotes = [
        quote("She spent six years developing systems on SageMaker", "analyzer", relevance_score=3),
        quote("Annapurna is great. So Annapurna Labs is a startup Amazon bought.", "analyzer_llm"),
    ]
    transcript_quotes = [
        # Same words as the page's, after a filler and with other punctuation: one quote.
        quote("So, she spent six years developing systems on SageMaker.", relevance_score=7),
        # Inside a longer quote of the page: the longer one stays.
        quote("Annapurna Labs is a startup Amazon bought.", relevance_score=8),
        quote("A different sentence about SageMaker.", relevance_score=2),
    ]
    write_file(db, page, mentions=[mention("SageMaker", "analyzer")], quotes=page_quotes)
    write_file(
        db,
        episode("plain", "show:1", "plain_transcript", "s2"),
        mentions=[mention("SageMaker"), mention("Amazon")],
        quotes=transcript_quotes,
    )
    rows = query(db, "SELECT entity, quote, relevance_score FROM quotes_by_entity")
    assert sorted((r["entity"], r["quote"], r["relevance_score"]) for r in rows) == [
        ("Amazon", "Annapurna is great. So Annapurna Labs is a startup Amazon bought.", None),
        ("SageMaker", "A different sentence about SageMaker.", 2),
        ("SageMaker", "So, she spent six years developing systems on SageMaker.", 7),
    ]


def test_views_catalog_merges_guest_spellings_one_letter_apart(new_warehouse):
    db = new_warehouse
    write_file(db, episode("a", "k", "enriched_page", "1", guests=["Emily Webber"]))
    write_file(db, episode("b", "k", "plain_transcript", "2", guests=["Emily Weber", "Jo Li"]))
    assert query(db, "SELECT guests FROM episode_catalog") == [
        {"guests": ["Emily Webber", "Jo Li"]}
    ]


def test_views_quotes_by_entity_is_safe_with_regex_characters_in_names(new_warehouse):
    db = new_warehouse
    names = ["C++", "(unclosed", "a.b", "O'Brien", "x|y", "\\d+"]
    write_file(
        db,
        episode("e", "k", "plain_transcript", "s"),
        mentions=[mention(n) for n in names],
        quotes=[quote("We rewrote it in C++ with O'Brien.", relevance_score=5)],
    )
    rows = query(db, "SELECT entity FROM quotes_by_entity ORDER BY entity")
    assert [r["entity"] for r in rows] == ["C++", "O'Brien"]


def test_views_quotes_by_topic_unnests_and_carries_prominence(db):
    rows = query(db, "SELECT topic, episode_key, quote, topic_prominence FROM quotes_by_topic")
    assert sorted((r["topic"], r["episode_key"], r["topic_prominence"]) for r in rows) == [
        ("AI hardware", "gradient-dissent:0", None),
        ("AI hardware", "super-data-science:881", 0.9),
    ]


def test_views_timeline_buckets_a_timed_episode_by_minute(db):
    rows = query(db, "SELECT * FROM episode_timeline ORDER BY minute")
    assert {r["episode_key"] for r in rows} == {"gradient-dissent:0"}  # the only timed one
    assert [(r["minute"], r["clock"], r["segments"]) for r in rows] == [
        (0, "0:00:00", 2),
        (1, "0:01:00", 1),
        (2, "0:02:00", 1),
    ]
    assert rows[1]["top_entities"] == ["NVIDIA", "DGX"]
    assert rows[1]["mentions"] == 3
    assert (rows[1]["quotes"], rows[1]["top_quote"]) == (1, "NVIDIA builds DGX machines")
    assert rows[1]["quote_topics"] == ["AI hardware"]
    assert rows[0]["words"] == 4 + 5
    assert rows[0]["opening_text"].startswith("Scheduling on a supercomputer You're listening")


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every view's rows, without the columns that name the files themselves."""
    out: dict[str, list[tuple]] = {}
    for view in VIEWS:
        rows = query(db, f"SELECT * FROM {view.name}")
        for r in rows:
            for col in (
                "episode_id",
                "episode_ids",
                "source_files",
                "first_ingested_at",
                "record_episode_id",
            ):
                r.pop(col, None)
        out[view.name] = sorted(repr(sorted(r.items())) for r in rows)
    return out


def test_views_a_renamed_copy_adds_no_row_to_any_view(db):
    before = snapshot(db)
    # Renamed copies: same content, so the steps write the same rows under new partition keys,
    # and they sort before the originals by episode_id.
    copy = {**transcript_881("a-copy-of-881"), "source_file": "a copy of 881.txt"}
    write_file(db, copy, **TRANSCRIPT_881_ROWS)
    timed_copy = {**timed_episode(), "episode_id": "a-timed-copy", "source_file": "timed copy.vtt"}
    write_file(db, timed_copy, **TIMED_ROWS)
    assert snapshot(db) == before
    catalog = query(
        db,
        "SELECT episode_ids, distinct_files FROM episode_catalog "
        "WHERE episode_key = 'super-data-science:881'",
    )
    assert catalog == [
        {"episode_ids": ["a-copy-of-881", "page881", "plain881"], "distinct_files": 2}
    ]


def test_views_every_view_and_column_is_described(db):
    with warehouse.open_reader(db) as con:
        comments = dict(
            con.execute(
                "SELECT view_name, comment FROM duckdb_views() WHERE NOT internal"
            ).fetchall()
        )
        described = {(t, c): comment for t, c, _, comment in warehouse.describe(con)}
    for view in VIEWS:
        assert comments[view.name] == view.grain
        assert described[(view.name, "")] == view.grain  # the grain row `sql --schema` prints
        actual = [c for t, c in described if t == view.name and c]
        assert actual == [c for c, _ in view.columns], f"{view.name}: columns vs their docs"
        assert all(described[(view.name, c)] for c in actual)


def test_views_work_on_an_empty_warehouse(tmp_path):
    db = tmp_path / "w.duckdb"
    with warehouse.open_writer(db):
        pass
    for view in VIEWS:
        assert query(db, f"SELECT * FROM {view.name}") == []


# --- the sample files, end to end ------------------------------------------------------


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    """The four sample files refreshed through Dagster (real parsing, real spaCy)."""
    with refreshed_seeds(tmp_path_factory.mktemp("views-sample")) as (_, db, _, summary):
        assert summary.exit_code == 0, summary.lines()
    return db


@pytest.mark.slow
def test_views_sample_episode_881_is_one_row_with_both_sources(sample_db):
    rows = query(sample_db, "SELECT * FROM episode_catalog WHERE episode_number = 881")
    assert len(rows) == 1
    assert rows[0]["source_formats"] == ["enriched_page", "plain_transcript"]
    assert rows[0]["source_files"] == [SEED_ENRICHED_881, SEED_PLAIN_881]
    assert rows[0]["title"] and rows[0]["published_at"] and rows[0]["word_count"]
    assert len(query(sample_db, "SELECT * FROM episode_catalog")) == 3


@pytest.mark.slow
def test_views_sample_every_view_has_rows_and_no_duplicates(sample_db):
    keys = {
        "canonical_files": "episode_id",
        "resolved_mentions": "episode_id, spelling, surface, char_start, source",
        "distinct_quotes": "episode_key, norm_text",
        "episode_catalog": "episode_key",
        "entity_leaderboard": "entity",
        "topic_trends": "topic, month",
        "quotes_by_entity": "entity, episode_key, lower(quote)",
        "quotes_by_topic": "topic, episode_key, lower(quote)",
        "episode_timeline": "episode_key, minute",
    }
    assert set(keys) == {v.name for v in VIEWS}
    for view, key in keys.items():
        total, distinct = query(
            sample_db, f"SELECT count(*) AS t, count(DISTINCT ({key})) AS d FROM {view}"
        )[0].values()
        assert total > 0, f"{view} is empty on the sample files"
        assert total == distinct, f"{view} repeats its key ({key})"


@pytest.mark.slow
def test_views_sample_leaderboard_counts_distinct_episodes(sample_db):
    (row,) = query(
        sample_db,
        "SELECT max(episodes) AS most, (SELECT count(*) FROM episode_catalog) AS total "
        "FROM entity_leaderboard",
    )
    assert row["most"] <= row["total"] == 3


def test_views_spellings_merge_across_episodes_through_entity_aliases(new_warehouse):
    from podcast_assets.extraction.gazetteer import Gazetteer
    from podcast_assets.schema import ENTITY_ALIASES
    from podcast_assets.steps.extract import entity_alias_rows

    def rebuild_entity_aliases(con, gazetteer=None):
        return warehouse.replace_table(con, ENTITY_ALIASES, entity_alias_rows(con, gazetteer))

    db = new_warehouse
    write_file(db, episode("a", "show:1", "webvtt", "s1"), mentions=[mention("Audio Boom")] * 2)
    write_file(db, episode("b", "show:2", "webvtt", "s2"), mentions=[mention("Audioboom")] * 3)
    write_file(db, episode("c", "show:3", "webvtt", "s3"), mentions=[mention("Pod News")])
    write_file(db, episode("d", "show:4", "webvtt", "s4"), mentions=[mention("Podnews")] * 2)
    with warehouse.open_writer(db) as con:
        assert rebuild_entity_aliases(con) == 2
    aliases = query(db, "SELECT surface, canonical, method, mentions FROM entity_aliases")
    assert sorted((a["surface"], a["canonical"], a["method"], a["mentions"]) for a in aliases) == [
        ("Audio Boom", "Audioboom", "key", 2),
        ("Pod News", "Podnews", "key", 1),
    ]
    board = query(db, "SELECT entity, episodes, mentions FROM entity_leaderboard")
    assert [(r["entity"], r["episodes"], r["mentions"]) for r in board] == [
        ("Audioboom", 2, 5),
        ("Podnews", 2, 3),
    ]
    spellings = query(db, "SELECT DISTINCT entity, spelling FROM resolved_mentions ORDER BY ALL")
    assert ("Audioboom", "Audio Boom") in [(r["entity"], r["spelling"]) for r in spellings]

    # A reviewer's `distinct` list undoes a merge; the rebuild replaces the table whole.
    with warehouse.open_writer(db) as con:
        assert rebuild_entity_aliases(con, Gazetteer((), distinct=frozenset({"Pod News"}))) == 1
    assert [a["surface"] for a in query(db, "SELECT surface FROM entity_aliases")] == ["Audio Boom"]


def test_views_removing_an_episode_drops_its_spellings_from_entity_aliases(new_warehouse):
    """The refresh and `prune_job` remove a file's rows and rebuild the aliases together."""
    from podcast_assets.steps.extract import remove_episodes

    db = new_warehouse
    write_file(db, episode("a", "show:1", "webvtt", "s1"), mentions=[mention("Audio Boom")] * 2)
    write_file(db, episode("b", "show:2", "webvtt", "s2"), mentions=[mention("Audioboom")] * 3)
    with warehouse.open_writer(db) as con:
        remove_episodes(con, [])  # nothing removed: the table stays as it is
        assert con.execute("SELECT count(*) FROM entity_aliases").fetchone() == (0,)
        remove_episodes(con, ["b"])
    # "Audio Boom" has no other spelling left to merge into.
    assert query(db, "SELECT surface FROM entity_aliases") == []
    write_file(db, episode("c", "show:3", "webvtt", "s3"), mentions=[mention("Audioboom")] * 3)
    with warehouse.open_writer(db) as con:
        remove_episodes(con, ["gone-already"])
    aliases = query(db, "SELECT surface, canonical, mentions FROM entity_aliases")
    assert [(a["surface"], a["canonical"], a["mentions"]) for a in aliases] == [
        ("Audio Boom", "Audioboom", 2)
    ]
    with warehouse.open_writer(db) as con:
        remove_episodes(con, ["a"])
    assert query(db, "SELECT surface FROM entity_aliases") == []
    assert [r["episode_id"] for r in query(db, "SELECT episode_id FROM removals")] == [
        "b",
        "gone-already",
        "a",
    ]
