"""Asset checks catch what they claim to, on a real warehouse file."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from dagster import AssetCheckSeverity

from podcast_assets import warehouse
from podcast_assets.defs.checks import CHECKS
from podcast_assets.schema import TABLES_BY_NAME

CHECKS_BY_NAME = {c.name: c for c in CHECKS}


def evaluate(name: str, db):
    with warehouse.open_reader(db) as con:
        return CHECKS_BY_NAME[name].run(con)


def put(db, table: str, rows: list[dict], step: str = "extract") -> None:
    with warehouse.open_writer(db) as con:
        warehouse.replace_partitions(
            con,
            step,
            "x",
            [TABLES_BY_NAME[table]],
            [warehouse.PartitionWrite("e1", "s", {table: rows})],
        )


SEGMENTS = [{"episode_id": "e1", "seq": 0, "char_start": 0, "text": "Trainium is a chip."}]
MENTION = {
    "episode_id": "e1",
    "entity": "Trainium",
    "surface": "Trainium",
    "char_start": 0,
    "char_end": 8,
    "segment_seq": 0,
    "source": "gazetteer",
}


@pytest.mark.parametrize(
    ("check", "table", "good", "bad"),
    [
        (
            "mention_offsets_are_inside_the_transcript",
            "mentions",
            MENTION,
            MENTION | {"char_start": 15, "char_end": 40},
        ),
        ("mentions_are_unique", "mentions", MENTION, MENTION),
        (
            "quote_scores_are_1_to_10",
            "quotes",
            {"episode_id": "e1", "text": "q", "relevance_score": 7, "source": "heuristic"},
            {"episode_id": "e1", "text": "q", "relevance_score": 11, "source": "heuristic"},
        ),
        (
            "topic_prominence_is_0_to_1",
            "topics",
            {
                "episode_id": "e1",
                "topic": "cloud",
                "mentions": 3,
                "prominence": 0.3,
                "source": "taxonomy",
            },
            {
                "episode_id": "e1",
                "topic": "cloud",
                "mentions": 3,
                "prominence": 1.3,
                "source": "taxonomy",
            },
        ),
    ],
)
def test_checks_pass_on_good_rows_and_fail_on_bad(check, table, good, bad, new_warehouse):
    db = new_warehouse
    put(db, "segments", SEGMENTS, step="ingest")
    put(db, table, [good])
    assert evaluate(check, db).passed
    # Uniqueness is violated by a second copy; the others by the bad row itself.
    put(db, table, [good, bad] if check == "mentions_are_unique" else [bad])
    failed = evaluate(check, db)
    assert not failed.passed
    assert failed.metadata["violations"].value >= 1


@pytest.mark.parametrize("source", ["spacy", "proper_noun", "metadata_name", "a_new_source"])
def test_checks_offsets_of_every_source_that_has_them(source, new_warehouse):
    """Not only model and gazetteer rows: any row with offsets must point into the transcript;
    episode-level rows have none, and the analyser's are into its own text."""
    db = new_warehouse
    put(db, "segments", SEGMENTS, step="ingest")
    episode_level = MENTION | {"char_start": None, "char_end": None, "segment_seq": None}
    analyser = MENTION | {"char_start": 500, "char_end": 508, "segment_seq": None}
    fine = [
        MENTION | {"source": source},
        episode_level | {"source": "speaker"},
        episode_level | {"source": "metadata"},
        analyser | {"source": "analyzer"},
        analyser | {"source": "analyzer_llm"},
    ]
    put(db, "mentions", fine)
    assert evaluate("mention_offsets_are_inside_the_transcript", db).passed
    for bad in (
        {"char_start": 15, "char_end": 40},  # past the transcript's end
        {"char_end": None},  # half an offset
        {"segment_seq": None},  # no segment
        {"segment_seq": 3},  # a segment the episode lacks
    ):
        put(db, "mentions", [*fine, MENTION | {"source": source} | bad])
        failed = evaluate("mention_offsets_are_inside_the_transcript", db)
        assert not failed.passed, bad
        assert failed.metadata["violations"].value == 1


def put_in_two_episodes(db, mentions: list[dict]) -> None:
    """The same mentions in two episodes (two partitions, two episode keys)."""
    with warehouse.open_writer(db) as con:
        for eid in ("e1", "e2"):
            episode = {
                "episode_id": eid,
                "episode_key": f"file:{eid}",
                "source_format": "plain_transcript",
                "source_file": f"{eid}.txt",
                "content_sha256": eid,
                "encoding": "utf-8",
                "ingested_at": datetime.now(UTC),
                "metadata_source": "transcript",
                "timed": False,
                "speaker_count": 0,
            }
            rows = {
                "episodes": [episode],
                "mentions": [m | {"episode_id": eid} for m in mentions],
            }
            tables = [TABLES_BY_NAME["episodes"], TABLES_BY_NAME["mentions"]]
            warehouse.replace_partitions(
                con, "extract", "x", tables, [warehouse.PartitionWrite(eid, "s", rows)]
            )


UNKNOWN_ORG = MENTION | {"entity": "Zyxwv Unknown Corp", "label": "ORG", "source": "spacy"}


def test_checks_unknown_organisations_warn_when_two_episodes_mention_them(new_warehouse):
    db = new_warehouse
    put(db, "mentions", [UNKNOWN_ORG])  # one episode: not yet a candidate
    assert evaluate("recurring_organisations_are_in_gazetteer", db).passed
    put_in_two_episodes(db, [UNKNOWN_ORG, MENTION | {"label": "PRODUCT", "source": "spacy"}])
    result = evaluate("recurring_organisations_are_in_gazetteer", db)
    assert not result.passed
    assert result.severity == AssetCheckSeverity.WARN
    assert result.metadata["sample"].data == [["Zyxwv Unknown Corp", "2", "2"]]
    assert evaluate("mentions_are_unique", db).severity == AssetCheckSeverity.ERROR


def test_checks_people_places_and_the_analyser_are_not_gazetteer_candidates(new_warehouse):
    db = new_warehouse
    others = [
        UNKNOWN_ORG | {"entity": "Zyxwv Person", "label": "PERSON"},
        UNKNOWN_ORG | {"entity": "Zyxwv Town", "label": "GPE"},
        UNKNOWN_ORG | {"entity": "Zyxwv Crude", "source": "analyzer"},
    ]
    put_in_two_episodes(db, others)
    assert evaluate("recurring_organisations_are_in_gazetteer", db).passed


def test_checks_report_five_offending_rows_but_every_unknown_entity(new_warehouse):
    db = new_warehouse
    unknown = [UNKNOWN_ORG | {"entity": f"Zyxwv {i}"} for i in range(7)]
    put_in_two_episodes(db, unknown + [MENTION | {"entity": "", "source": "spacy"}] * 7)
    gazetteer = evaluate("recurring_organisations_are_in_gazetteer", db).metadata
    assert gazetteer["violations"].value == len(gazetteer["sample"].data) == 7
    keys = evaluate("mention_keys_are_not_null", db).metadata
    assert keys["violations"].value == 14
    assert len(keys["sample"].data) == 5


def test_checks_come_from_their_sql_files():
    from podcast_assets import sqlfiles

    assert sorted(CHECKS_BY_NAME) == [n.removeprefix("check_") for n in sqlfiles.names("check_")]
    spec = CHECKS_BY_NAME["episode_ids_are_unique"].spec
    assert spec.description == "No two rows share an episode_id."
    assert spec.asset_key.to_user_string() == "episodes"


def test_checks_refuse_a_parameter_they_cannot_fill():
    from podcast_assets.defs import checks
    from podcast_assets.sqlfiles import SqlFile

    query = SqlFile("check_x", "x", "SELECT ?", {"asset": "episodes", "parameters": "nope"})
    with pytest.raises(ValueError, match="unknown parameters"):
        checks._parameter_names(query)
