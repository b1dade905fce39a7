"""Full-text search: passages and BM25 indexes built from ingested transcripts, then queried.

Small synthetic feeds and transcripts go through the real ingest step into a real warehouse
(no NLP, no Dagster), so the fast lane runs these.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from podcast_assets import search as fts
from podcast_assets import steps, warehouse
from podcast_assets.rawfiles import scan_raw_dir
from podcast_assets.search import Hit, build_search_index, search

FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel><title>{show}</title><language>{language}</language>{items}</channel></rss>
"""
ITEM = """<item><title>{title}</title><guid isPermaLink="false">{guid}</guid>
<pubDate>{date}</pubDate><itunes:episode>{number}</itunes:episode>
<enclosure url="https://example.com/{guid}.mp3" type="audio/mpeg" length="1"/></item>"""

ALICE, BOB, CAROL, DAVE = "Alice Green", "Bob Stone", "Carol King", "Dave Moss"
GARDEN_1 = [
    (ALICE, "Welcome to Garden Talk, the show about growing things at home."),
    (ALICE, "My guest has been talking about tomatoes for twenty years."),
    (BOB, "Thanks, Alice. I grow heirloom tomatoes on a sunny"),
    (BOB, "rooftop in the middle of the city, with plenty of compost."),
    (ALICE, "What is the secret of a purple zucchini harvest?"),
    (BOB, "Patience, and water in the morning."),
]
GARDEN_2 = [
    (CAROL, "Last time we talked about compost. Today, Dave Moss on tomatoes."),
    (DAVE, "Hello Carol. My tomatoes grow in the shade of an old pear tree."),
    (DAVE, "The first thing I learned was to leave the soil covered."),
    (DAVE, "A thick layer of mulch keeps the water where the roots are."),
    (DAVE, "The worms do the digging for you, all winter long."),
    (DAVE, "And in spring the beds are ready for planting."),
]
JARDIN_1 = [
    ("Marie Dupont", "Bonjour et bienvenue dans Radio Jardin, je suis Marie Dupont."),
    ("Luc Martin", "Les plantations de tomates commencent en mai, avec un bon compost."),
    ("Marie Dupont", "Et le potager sur le balcon, comment le commencer ?"),
]


def _json(lines: list[tuple[str, str]]) -> str:
    segments = [
        {"speaker": who, "startTime": 65.0 * i, "endTime": 65.0 * i + 60, "body": text}
        for i, (who, text) in enumerate(lines)
    ]
    return json.dumps({"version": "1.0.0", "segments": segments})


def _srt(lines: list[tuple[str, str]]) -> str:
    """The same transcript without speakers: a second format of the episode."""
    return "\n".join(
        f"{i + 1}\n00:{i:02d}:05,000 --> 00:{i:02d}:09,000\n{text}\n"
        for i, (_, text) in enumerate(lines)
    )


def _feed(show: str, language: str, items: list[tuple[str, str, str, int]]) -> str:
    body = "".join(
        ITEM.format(guid=guid, title=title, date=day, number=number)
        for guid, title, day, number in items
    )
    return FEED.format(show=show, language=language, items=body)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse with two shows (one French), one episode in two formats, and its index."""
    root = tmp_path_factory.mktemp("search")
    raw = root / "raw"
    raw.mkdir()
    (raw / "garden.xml").write_text(
        _feed(
            "Garden Talk",
            "en-us",
            [
                ("garden-001", "Tomatoes on a roof", "Fri, 01 Mar 2024 06:00:00 GMT", 1),
                ("garden-002", "Soil that feeds itself", "Sat, 01 Jun 2024 06:00:00 GMT", 2),
            ],
        )
    )
    (raw / "jardin.xml").write_text(
        _feed(
            "Radio Jardin", "fr", [("jardin-001", "Le potager", "Wed, 01 May 2024 06:00:00 GMT", 1)]
        )
    )
    (raw / "garden-001.json").write_text(_json(GARDEN_1))
    (raw / "garden-001.srt").write_text(_srt(GARDEN_1))
    (raw / "garden-002.json").write_text(_json(GARDEN_2))
    (raw / "jardin-001.json").write_text(_json(JARDIN_1))
    db = root / "w.duckdb"
    files, _ = scan_raw_dir(raw)
    report = steps.ingest.ingest_files(db, [(f.episode_id, Path(f.path)) for f in files])
    assert report.rejected == []
    with duckdb.connect(str(db)) as con:
        build_search_index(con)
    return db


@pytest.fixture
def con(built: Path):
    with warehouse.open_reader(built) as con:
        yield con


@pytest.fixture
def writable(built: Path, tmp_path: Path):
    """A copy of the built warehouse that a test may change."""
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(built, copy)
    with duckdb.connect(str(copy)) as con:
        yield con


def _episodes(hits: list[Hit]) -> set[str]:
    return {h.episode_id for h in hits}


def test_search_a_phrase_said_once_is_the_top_hit_with_its_time_speaker_and_link(con):
    files = con.execute(
        "SELECT count(*), count(DISTINCT episode_key) FROM episodes "
        "WHERE starts_with(episode_id, 'garden-001')"
    ).fetchone()
    assert files == (2, 1)  # the JSON and the SubRip file are one episode, in two formats
    hits = search(con, "purple zucchini")
    assert len(hits) == 1  # so the SubRip copy's words are not a second hit
    (hit,) = hits
    assert (hit.episode_id, hit.seq, hit.speaker) == ("garden-001-json", 4, ALICE)
    assert (hit.show_name, hit.title) == ("Garden Talk", "Tomatoes on a roof")
    assert (hit.start_seconds, hit.timestamp) == (260.0, "00:04:20")
    assert hit.link == "https://example.com/garden-001.mp3#t=260"
    assert hit.snippet == "What is the secret of a **purple** **zucchini** harvest?"


def test_search_a_phrase_split_across_two_cues_is_one_hit(con):
    top = search(con, "sunny rooftop")[0]
    assert (top.episode_id, top.seq, top.speaker) == ("garden-001-json", 2, BOB)
    assert "**sunny**" in top.snippet and "**rooftop**" in top.snippet


def test_search_stems_english_words(con):
    hits = search(con, "talked")
    talking = [h for h in hits if "**talking**" in h.snippet]
    assert [h.episode_id for h in talking] == ["garden-001-json"]
    assert any("**talked**" in h.snippet for h in hits)


def test_search_other_languages_use_their_own_words_unstemmed(con):
    (hit,) = search(con, "potager balcon")
    assert (hit.episode_id, hit.show_name, hit.speaker) == (
        "jardin-001-json",
        "Radio Jardin",
        "Marie Dupont",
    )
    assert "jardin-001-json" in _episodes(search(con, "plantations"))
    # An English stemmer would reduce both to one stem; the French passage is not stemmed.
    assert search(con, "plantation") == []
    rows = con.execute("SELECT DISTINCT language FROM search_passages_other").fetchall()
    assert rows == [("fr",)]


def test_search_collapses_overlapping_passages_of_the_same_words(con):
    # "mulch" is in the segment two windows of Dave's turn share: both passages hold it.
    (n,) = con.execute("SELECT count(*) FROM search_passages WHERE text LIKE '%mulch%'").fetchone()
    assert n == 2
    hits = search(con, "mulch")
    assert [(h.episode_id, h.speaker) for h in hits] == [("garden-002-json", DAVE)]


def test_search_filters_narrow_by_show_speaker_and_date(con):
    everywhere = {"garden-001-json", "garden-002-json", "jardin-001-json"}
    assert _episodes(search(con, "compost")) == everywhere
    assert _episodes(search(con, "compost", show="JARDIN")) == {"jardin-001-json"}
    assert _episodes(search(con, "compost", show="garden talk")) == everywhere - {"jardin-001-json"}
    tomatoes = search(con, "tomatoes")
    assert {h.speaker for h in tomatoes} >= {ALICE, BOB, DAVE}
    assert {h.speaker for h in search(con, "tomatoes", speaker="dave")} == {DAVE}
    assert _episodes(search(con, "tomatoes", since=date(2024, 5, 15))) == {"garden-002-json"}
    assert search(con, "tomatoes", since=date(2030, 1, 1)) == []


def test_search_since_is_a_utc_day_whatever_the_session_time_zone(con):
    con.execute("SET TimeZone = 'America/Los_Angeles'")  # 2024-06-01 06:00 UTC is May 31 here
    assert _episodes(search(con, "tomatoes", since=date(2024, 6, 1))) == {"garden-002-json"}
    assert _episodes(search(con, "tomatoes", since=date(2024, 6, 2))) == set()


def test_search_limit_keeps_the_best(con):
    hits = search(con, "compost tomatoes", limit=2)
    assert len(hits) == 2
    assert hits == search(con, "compost tomatoes")[:2]
    assert hits[0].score >= hits[1].score


@pytest.mark.parametrize("query", ["", "   ", "?!", "the and of", "xylophone"])
def test_search_finds_nothing_for_no_words_stop_words_or_unknown_words(con, query):
    assert search(con, query) == []


def test_search_macro_returns_the_same_top_hit_and_columns(con):
    fts.load_fts(con)  # what an ad hoc session does first (see the module's docstring)
    result = con.execute("SELECT * FROM search_segments(?)", ["purple zucchini"])
    assert [d[0] for d in result.description] == [f.name for f in dataclasses.fields(Hit)]
    for query in ("purple zucchini", "compost", "talked", "potager"):
        top = con.execute("SELECT * FROM search_segments(?) LIMIT 1", [query]).fetchall()
        assert Hit(*top[0]) == search(con, query, limit=1)[0]
    assert con.execute("SELECT * FROM search_segments('the and of')").fetchall() == []


def test_search_macro_takes_a_limit_and_collapses_overlaps(con):
    fts.load_fts(con)
    rows = con.execute("SELECT episode_id FROM search_segments('compost', k := 2)").fetchall()
    assert len(rows) == 2
    assert con.execute("SELECT count(*) FROM search_segments('mulch')").fetchone() == (1,)
    # No three overlapping passages match here, so the two collapses agree on every hit.
    macro = con.execute("SELECT * FROM search_segments('tomatoes compost', k := 20)").fetchall()
    # The same hits, but `search` moves each one's time to its first matching cue.
    same = [(h.episode_id, h.snippet, h.score) for h in (Hit(*row) for row in macro)]
    assert same == [
        (h.episode_id, h.snippet, h.score) for h in search(con, "tomatoes compost", limit=20)
    ]


def test_search_lands_on_the_first_cue_that_holds_the_words(con):
    (hit,) = search(con, "worms", limit=1)
    # The passage starts a cue earlier (00:03:15), on words that do not match.
    assert (hit.seq, hit.timestamp, hit.link) == (
        4,
        "00:04:20",
        "https://example.com/garden-002.mp3#t=260",
    )
    fts.load_fts(con)
    macro = con.execute("SELECT seq, timestamp FROM search_segments('worms', k := 1)").fetchall()
    assert macro == [(3, "00:03:15")]


def test_search_tables_are_declared_and_commented(con):
    for index in fts.INDEXES:
        (comment,) = con.execute(
            "SELECT comment FROM duckdb_tables() WHERE table_name = ?", [index.table.name]
        ).fetchone()
        assert comment == index.table.comment
        columns = con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index",
            [index.table.name],
        ).fetchall()
        assert [c for (c,) in columns] == index.table.column_names


def test_search_rebuild_is_idempotent_and_drops_removed_episodes(writable):
    (before,) = writable.execute("SELECT count(*) FROM search_passages").fetchone()
    stats = build_search_index(writable)
    assert stats.passages == before and stats.episodes == 3
    assert stats.english_passages < stats.passages
    assert stats.size_bytes is None or stats.size_bytes > 0
    assert _episodes(search(writable, "mulch")) == {"garden-002-json"}
    warehouse.remove_partitions(writable, ["garden-002-json"])
    assert build_search_index(writable).episodes == 2
    assert search(writable, "mulch") == []
    assert _episodes(search(writable, "compost")) == {"garden-001-json", "jardin-001-json"}


def test_load_fts_names_the_package_when_the_version_has_no_extension(monkeypatch):
    monkeypatch.setattr(duckdb, "__version__", "0.0.1")
    with pytest.raises(fts.SearchUnavailableError, match=r"duckdb-extension-fts==0\.0\.1"):
        fts.load_fts(duckdb.connect())


def test_search_a_failed_rebuild_leaves_the_previous_index_whole(writable):
    before = writable.execute("SELECT count(*) FROM fts_main_search_passages_en.docs").fetchone()
    warehouse.remove_partitions(writable, ["garden-002-json"])
    # The second table's name taken by a view: the rebuild fails after the English index.
    writable.execute("DROP TABLE search_passages_other")
    writable.execute("CREATE VIEW search_passages_other AS SELECT * FROM search_passages_en")
    with pytest.raises(duckdb.Error, match="search_passages_other"):
        build_search_index(writable)
    after = writable.execute("SELECT count(*) FROM fts_main_search_passages_en.docs").fetchone()
    assert after == before  # the removed episode's passages are still indexed ...
    assert "garden-002-json" in (fts.stale_ids(writable) or [])
    assert search(writable, "mulch") == []  # ... and known to be gone


def test_search_without_an_index_says_to_build_it(tmp_path):
    with (
        duckdb.connect(str(tmp_path / "empty.duckdb")) as con,
        pytest.raises(fts.SearchUnavailableError, match="build_search_index"),
    ):
        search(con, "compost")


def test_search_index_knows_when_it_is_stale(writable, tmp_path):
    assert fts.stale_episodes(writable) == 0
    writable.execute(
        "UPDATE episodes SET ingested_at = ingested_at + INTERVAL 1 SECOND "
        "WHERE episode_id = 'garden-002-json'"
    )
    assert fts.stale_episodes(writable) == 1  # re-ingested since the build
    warehouse.remove_partitions(writable, ["jardin-001-json"])
    assert fts.stale_episodes(writable) == 2  # and one removed
    build_search_index(writable)
    assert fts.stale_episodes(writable) == 0
    with duckdb.connect(str(tmp_path / "never.duckdb")) as never:
        warehouse.ensure_schema(never)
        assert fts.stale_episodes(never) is None


def _cli(*args: str):
    from click.testing import CliRunner

    from podcast_assets.cli import main

    return CliRunner().invoke(main, list(args))


def test_search_command_prints_ranked_hits_with_time_speaker_and_link(built):
    done = _cli("search", "purple zucchini", "--warehouse", str(built))
    assert done.exit_code == 0, done.output
    first = done.output.splitlines()[:3]
    assert first[0].startswith("1. Garden Talk · Tomatoes on a roof · 00:04:20 · Alice Green")
    assert "**purple** **zucchini**" in first[1]
    assert first[2] == "   https://example.com/garden-001.mp3#t=260"


def test_search_command_filters_and_prints_json(built):
    done = _cli(
        "search", "compost", "--show", "jardin", "--format", "json", "--warehouse", str(built)
    )
    assert done.exit_code == 0, done.output
    (hit,) = json.loads(done.output)
    assert hit["show_name"] == "Radio Jardin" and hit["speaker"] == "Luc Martin"
    assert _cli("search", "compost", "--since", "2024-06-01", "--warehouse", str(built)).output
    later = _cli(
        "search", "tomatoes", "--since", "2024-06-01", "--format", "csv", "--warehouse", str(built)
    )
    assert {row.split(",")[2] for row in later.output.splitlines()[1:]} == {"garden-002-json"}


def test_search_command_with_no_match_says_so(built):
    done = _cli("search", "xylophone", "--warehouse", str(built))
    assert done.exit_code == 0 and done.output.strip() == "no passage matches"


def test_search_command_without_an_index_says_how_to_build_it(tmp_path):
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        warehouse.ensure_schema(con)
    done = _cli("search", "compost", "--warehouse", str(db))
    assert done.exit_code == 3
    assert "no search index yet: run `podcast-assets refresh`" in done.output


def test_search_command_notes_a_stale_index(writable, tmp_path):
    writable.execute("UPDATE episodes SET ingested_at = ingested_at + INTERVAL 1 SECOND")
    path = writable.execute("SELECT path FROM duckdb_databases() WHERE NOT internal").fetchone()
    writable.close()
    done = _cli("search", "mulch", "--warehouse", path[0])
    assert done.exit_code == 0
    assert "note: 3 transcript(s) changed since the index was built" in done.output  # of record


def test_sql_command_runs_the_search_macro_on_its_sealed_connection(built):
    done = _cli(
        "sql",
        "SELECT episode_id, timestamp FROM search_segments('purple zucchini', k := 1)",
        "--format",
        "csv",
        "--warehouse",
        str(built),
    )
    assert done.exit_code == 0, done.output
    assert done.output.splitlines() == ["episode_id,timestamp", "garden-001-json,00:04:20"]
    refused = _cli("sql", "LOAD fts", "--warehouse", str(built))
    assert refused.exit_code == 2


def test_search_schedule_rebuilds_only_a_stale_index(writable):
    import dagster as dg

    from podcast_assets.defs.resources import WarehouseResource
    from podcast_assets.defs.schedules import nightly_search_index_schedule

    path = writable.execute("SELECT path FROM duckdb_databases() WHERE NOT internal").fetchone()[0]
    writable.execute("UPDATE episodes SET ingested_at = ingested_at + INTERVAL 1 SECOND")
    writable.close()

    def tick():
        resources = {"warehouse": WarehouseResource(path=path)}
        with dg.build_schedule_context(resources=resources) as context:
            return nightly_search_index_schedule(context)

    assert isinstance(tick(), dg.RunRequest)
    with duckdb.connect(path) as con:
        build_search_index(con)
    skipped = tick()
    assert isinstance(skipped, dg.SkipReason) and "current" in (skipped.skip_message or "")


def test_search_finds_transcripts_added_since_the_build_without_a_rebuild(writable, tmp_path):
    path = writable.execute("SELECT path FROM duckdb_databases() WHERE NOT internal").fetchone()[0]
    writable.close()
    raw = tmp_path / "raw"
    raw.mkdir()
    lines = [(ALICE, "Our third show is about a blue lettuce nursery."), (BOB, "Mulch it well.")]
    (raw / "garden-003.json").write_text(_json(lines))
    files, _ = scan_raw_dir(raw)
    steps.ingest.ingest_files(Path(path), [(f.episode_id, Path(f.path)) for f in files])
    with duckdb.connect(path) as con:
        assert fts.stale_ids(con) == ["garden-003-json"]
        (tail,) = search(con, "blue lettuce nursery", limit=1)
        mulch = search(con, "mulch")
        build_search_index(con)
        (indexed,) = search(con, "blue lettuce nursery", limit=1)
    assert tail.episode_id == indexed.episode_id == "garden-003-json"
    assert tail.snippet == indexed.snippet and "**lettuce**" in tail.snippet
    # Scored with the index's own statistics, so it ranks among the indexed passages.
    assert tail.score == pytest.approx(indexed.score, rel=0.01)
    assert _episodes(mulch) == {"garden-002-json", "garden-003-json"}


def test_search_index_rebuild_waits_for_a_share_of_changed_transcripts(writable, monkeypatch):
    from podcast_assets import search_index

    assert search_index.rebuild_reason(writable) is None
    monkeypatch.setattr(search_index, "REBUILD_SHARE", 0.5)  # of the 3 indexed transcripts
    bump = "UPDATE episodes SET ingested_at = ingested_at + INTERVAL 1 SECOND WHERE episode_id = ?"
    writable.execute(bump, ["garden-002-json"])
    assert search_index.rebuild_reason(writable) is None  # 1 < 1.5: searched as a tail
    writable.execute(bump, ["jardin-001-json"])
    assert search_index.rebuild_reason(writable) == "2 of 3 indexed transcripts changed"
    writable.execute("DROP VIEW search_passages")
    assert search_index.rebuild_reason(writable) == "never built"
