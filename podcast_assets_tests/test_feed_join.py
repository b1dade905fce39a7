"""Feeds in the raw directory: their tables, and the episodes that take metadata from them.

Runs the ingest step itself (real files, the real DuckDB warehouse), no Dagster and no NLP.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from podcast_assets import steps, warehouse
from podcast_assets.planning import plan_refresh
from podcast_assets.rawfiles import scan_raw_dir

FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
     xmlns:podcast="https://podcastindex.org/namespace/1.0">
<channel>
  <title>Buzzcast</title>
  <itunes:author>Buzzsprout</itunes:author>
  <podcast:person role="host">Kevin Finn</podcast:person>
  <item>
    <title>{title}</title>
    <guid isPermaLink="false">buzz-42</guid>
    <pubDate>Thu, 02 Mar 2023 10:00:00 GMT</pubDate>
    <itunes:episode>42</itunes:episode>
    <itunes:duration>1:02:03</itunes:duration>
    <enclosure url="https://cdn.example.com/audio/ep42.mp3" type="audio/mpeg" length="1"/>
    <podcast:transcript url="https://cdn.example.com/t/ep42.json" type="application/json"/>
    <podcast:transcript url="https://cdn.example.com/t/ep42.srt" type="application/srt"/>
    <podcast:person role="guest">Mia Wong</podcast:person>
  </item>
  <item><title>No guid here</title></item>
</channel>
</rss>
"""
JSON = {
    "version": "1.0.0",
    "segments": [
        {"speaker": "Kevin Finn", "startTime": 0, "endTime": 2, "body": "Hello and welcome."},
        {"speaker": "Mia Wong", "startTime": 2, "endTime": 4, "body": "Thanks for having me."},
    ],
}
SRT = (
    "1\n00:00:00,000 --> 00:00:02,000\nHello and welcome.\n\n"
    "2\n00:00:02,000 --> 00:00:04,000\nThanks for having me.\n"
)


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "ep42.json").write_text(json.dumps(JSON))
    (raw / "ep42.srt").write_text(SRT)
    (raw / "other.txt").write_text("An unrelated plain transcript.\n")
    (raw / "buzzcast.xml").write_text(FEED.format(title="Transcripts, with Mia Wong"))
    return raw


def ingest(raw: Path, db: Path, names: list[str] | None = None) -> steps.ingest.IngestReport:
    files, _ = scan_raw_dir(raw)
    chosen = [(f.episode_id, Path(f.path)) for f in files if names is None or f.name in names]
    return steps.ingest.ingest_files(db, chosen)


def rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_a_feed_fills_its_tables_and_the_metadata_of_the_episodes_it_names(raw, new_warehouse):
    db = new_warehouse
    report = ingest(raw, db)
    assert report.rejected == []
    assert report.formats == {"rss_feed": 1, "podcast_json": 1, "subrip": 1, "plain_transcript": 1}
    ((feed_id, title, author, hosts, items, problems),) = rows(
        db, "SELECT feed_id, title, author, hosts, items, problems FROM shows"
    )
    assert (feed_id, title, author, hosts, items) == (
        "buzzcast-xml",
        "Buzzcast",
        "Buzzsprout",
        ["Kevin Finn"],
        1,
    )
    assert len(problems) == 1 and "no <guid>" in problems[0]
    episodes = rows(
        db,
        "SELECT episode_id, episode_key, show_name, episode_number, title, host, guests, "
        "metadata_source, feed_guid, duration_seconds FROM episodes ORDER BY episode_id",
    )
    joined = ("buzzcast:42", "Buzzcast", 42, "Transcripts, with Mia Wong", "Kevin Finn")
    assert episodes[0][:6] == ("ep42-json", *joined)
    assert episodes[1][:6] == ("ep42-srt", *joined)
    for episode in episodes[:2]:
        assert episode[6:9] == (["Mia Wong"], "feed", "buzz-42")
    # The transcript's own last cue wins over the feed's stated duration.
    assert [e[9] for e in episodes[:2]] == [4.0, 4.0]
    assert episodes[2][0] == "other" and episodes[2][7:9] == ("transcript", None)


def test_two_formats_of_one_episode_are_one_episode_read_from_the_better_file(raw, new_warehouse):
    db = new_warehouse
    ingest(raw, db)
    catalog = rows(
        db,
        "SELECT episode_key, source_formats, episode_ids, record_episode_id, record_format "
        "FROM episode_catalog WHERE episode_key = 'buzzcast:42'",
    )
    # JSON names its speakers, the SubRip file does not: JSON is the transcript of record.
    assert catalog == [
        (
            "buzzcast:42",
            ["podcast_json", "subrip"],
            ["ep42-json", "ep42-srt"],
            "ep42-json",
            "podcast_json",
        )
    ]
    assert rows(db, "SELECT episode_id FROM canonical_files ORDER BY 1") == [
        ("ep42-json",),
        ("other",),
    ]


def test_without_a_feed_files_that_differ_only_by_extension_share_an_episode(
    tmp_path, new_warehouse
):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "show.json").write_text(json.dumps(JSON))
    (raw / "show.srt").write_text(SRT)
    db = new_warehouse
    ingest(raw, db)
    assert rows(db, "SELECT DISTINCT episode_key FROM episodes") == [("file:show",)]


def test_a_changed_feed_marks_the_episodes_it_names_stale(raw, new_warehouse):
    db = new_warehouse
    ingest(raw, db)
    (raw / "buzzcast.xml").write_text(FEED.format(title="A new title"))
    ingest(raw, db, ["buzzcast.xml"])
    files, _ = scan_raw_dir(raw)
    with warehouse.open_reader(db) as con:
        plan = plan_refresh(
            files,
            warehouse.partition_states(con),
            warehouse.rejections(con),
            ingest_version=steps.ingest.CODE_VERSION,
            extract_version="x",
        )
    assert sorted(plan.stale_ingest) == ["ep42-json", "ep42-srt"]
    assert "other" not in plan.to_ingest
    ingest(raw, db, ["ep42.json", "ep42.srt"])
    assert rows(db, "SELECT DISTINCT title FROM episodes WHERE feed_guid IS NOT NULL") == [
        ("A new title",)
    ]


def test_a_feed_that_arrives_after_its_transcripts_marks_them_stale(raw, new_warehouse):
    db = new_warehouse
    ingest(raw, db, ["ep42.json", "other.txt"])
    assert rows(db, "SELECT metadata_source FROM episodes WHERE episode_id = 'ep42-json'") == [
        ("transcript",)
    ]
    ingest(raw, db, ["buzzcast.xml"])
    stale = rows(
        db,
        "SELECT episode_id FROM partition_state WHERE step = 'ingest' "
        "AND ends_with(code_version, '+stale')",
    )
    assert stale == [("ep42-json",)]


def test_a_feed_with_an_entity_bomb_is_rejected_and_costs_nothing_else(raw, new_warehouse):
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
        "<rss><channel><title>&b;</title></channel></rss>"
    )
    (raw / "bomb.rss").write_text(bomb)
    (raw / "broken.xml").write_text("<rss><channel><title>x</channel></rss>")
    db = new_warehouse
    report = ingest(raw, db)
    reasons = {r.source_file: r.reason for r in report.rejected}
    assert set(reasons) == {"bomb.rss", "broken.xml"}
    assert "DOCTYPE" in reasons["bomb.rss"]
    assert "not well-formed XML at line 1" in reasons["broken.xml"]
    assert rows(db, "SELECT count(*) FROM episodes") == [(3,)]
    assert rows(db, "SELECT source_file FROM ingest_errors ORDER BY 1") == [
        ("bomb.rss",),
        ("broken.xml",),
    ]


def test_an_item_without_an_episode_tag_takes_its_number_from_its_title(tmp_path, new_warehouse):
    raw = tmp_path / "raw"
    raw.mkdir()
    feed = FEED.format(title="Episode 57: Rebel Rubes").replace(
        "<itunes:episode>42</itunes:episode>", ""
    )
    (raw / "show.xml").write_text(feed)
    (raw / "ep42.srt").write_text(SRT)
    db = new_warehouse
    ingest(raw, db)
    assert rows(db, "SELECT episode_number, episode_key FROM episodes") == [(57, "buzzcast:57")]


def test_removing_a_feed_marks_the_episodes_it_named_stale(raw, new_warehouse):
    db = new_warehouse
    ingest(raw, db)
    with warehouse.open_writer(db) as con:
        removed = warehouse.remove_partitions(con, ["buzzcast-xml"])
    assert removed == {"buzzcast-xml": {"shows": 1, "feed_items": 1}}
    stale = rows(
        db,
        "SELECT episode_id FROM partition_state WHERE step = 'ingest' "
        "AND ends_with(code_version, '+stale') ORDER BY 1",
    )
    assert stale == [("ep42-json",), ("ep42-srt",)]


def test_an_episode_whose_feed_is_gone_falls_back_to_its_own_key(raw, new_warehouse):
    db = new_warehouse
    ingest(raw, db, ["ep42.json", "buzzcast.xml"])
    (raw / "buzzcast.xml").unlink()
    with warehouse.open_writer(db) as con:
        warehouse.remove_partitions(con, ["buzzcast-xml"])
    ingest(raw, db, ["ep42.json"])
    assert rows(db, "SELECT episode_key, metadata_source, show_name, feed_guid FROM episodes") == [
        ("file:ep42", "transcript", None, None)
    ]


def test_a_renamed_copy_joins_the_episode_of_its_original(raw, new_warehouse):
    db = new_warehouse
    (raw / "copy of other.txt").write_bytes((raw / "other.txt").read_bytes())
    ingest(raw, db)
    assert rows(
        db,
        "SELECT source_file, episode_key FROM episodes WHERE source_format = 'plain_transcript'"
        " ORDER BY 1",
    ) == [("copy of other.txt", "file:copy of other"), ("other.txt", "file:copy of other")]


def test_a_sibling_format_the_feed_does_not_name_joins_its_episode(raw, new_warehouse):
    vtt = "WEBVTT\n\n00:00.000 --> 00:02.000\nHello and welcome.\n"
    (raw / "ep42.vtt").write_text(vtt)
    db = new_warehouse
    ingest(raw, db)
    assert rows(db, "SELECT DISTINCT episode_key FROM episodes WHERE source_file LIKE 'ep42%'") == [
        ("buzzcast:42",)
    ]


def test_url_guids_and_shared_names_never_join_the_wrong_file(tmp_path):
    from podcast_assets.feed_metadata import FeedIndex

    def row(feed_id: str, guid: str, position: int, names: list[str]) -> dict:
        return {
            "feed_id": feed_id,
            "guid": guid,
            "position": position,
            "show_name": feed_id,
            "title": None,
            "published_at": None,
            "episode_number": None,
            "season": None,
            "duration_seconds": None,
            "hosts": [],
            "guests": [],
            "file_names": names,
        }

    index = FeedIndex.from_rows(
        [
            row("a", "https://a.example.com/episodes/1", 0, ["transcript.json"]),
            row("a", "https://a.example.com/episodes/2", 1, ["transcript.json"]),
            row("b", "https://b.example.org/ep/1", 0, ["b1.srt"]),
        ]
    )
    assert index.match("1.txt") is None  # a URL guid is not its last path segment
    assert index.match("transcript.json") is None  # two items share it: neither is meant
    assert index.match("b1.vtt").feed_id == "b"  # a sibling of the item's own file


def test_seasons_keep_episodes_with_the_same_number_apart(tmp_path, new_warehouse):
    raw = tmp_path / "raw"
    raw.mkdir()
    feed = FEED.format(title="One").replace(
        "<itunes:episode>42</itunes:episode>",
        "<itunes:episode>1</itunes:episode><itunes:season>2</itunes:season>",
    )
    (raw / "show.xml").write_text(feed)
    (raw / "ep42.srt").write_text(SRT)
    db = new_warehouse
    ingest(raw, db)
    assert rows(db, "SELECT episode_key FROM episodes") == [("buzzcast:s2:1",)]
