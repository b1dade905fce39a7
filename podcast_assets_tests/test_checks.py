"""Asset checks catch what they claim to, on a real warehouse file."""

from __future__ import annotations

import pytest
from dagster import AssetCheckSeverity

from podcast_assets import warehouse
from podcast_assets.defs.checks import CHECKS
from podcast_assets.defs.resources import WarehouseResource
from podcast_assets.schema import TABLES_BY_NAME

CHECKS_BY_NAME = {next(iter(c.check_keys)).name: c for c in CHECKS}


def evaluate(name: str, db):
    return CHECKS_BY_NAME[name](warehouse=WarehouseResource(path=str(db)))


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
        (
            "mention_entities_are_in_gazetteer",
            "mentions",
            MENTION,
            MENTION | {"entity": "Zyxwv Unknown Corp", "source": "spacy"},
        ),
    ],
)
def test_checks_pass_on_good_rows_and_fail_on_bad(tmp_path, check, table, good, bad):
    db = tmp_path / "w.duckdb"
    put(db, "segments", SEGMENTS, step="ingest")
    put(db, table, [good])
    assert evaluate(check, db).passed
    # Uniqueness is violated by a second copy; the others by the bad row itself.
    put(db, table, [good, bad] if check == "mentions_are_unique" else [bad])
    failed = evaluate(check, db)
    assert not failed.passed
    assert failed.metadata["violations"].value >= 1


def test_checks_unknown_entities_only_warn(tmp_path):
    db = tmp_path / "w.duckdb"
    put(db, "mentions", [MENTION | {"entity": "Zyxwv Unknown Corp", "source": "spacy"}])
    result = evaluate("mention_entities_are_in_gazetteer", db)
    assert not result.passed
    assert result.severity == AssetCheckSeverity.WARN
    assert (
        CHECKS_BY_NAME["mentions_are_unique"](warehouse=WarehouseResource(path=str(db))).severity
        == AssetCheckSeverity.ERROR
    )


def test_checks_report_five_offending_rows_but_every_unknown_entity(tmp_path):
    db = tmp_path / "w.duckdb"
    unknown = [MENTION | {"entity": f"Zyxwv {i}", "source": "spacy"} for i in range(7)]
    put(db, "mentions", unknown + [MENTION | {"entity": "", "source": "spacy"}] * 7)
    gazetteer = evaluate("mention_entities_are_in_gazetteer", db).metadata
    assert gazetteer["violations"].value == len(gazetteer["sample"].data) == 8
    keys = evaluate("mention_keys_are_not_null", db).metadata
    assert keys["violations"].value == 7
    assert len(keys["sample"].data) == 5


def test_checks_come_from_their_sql_files():
    from podcast_assets import sqlfiles

    assert sorted(CHECKS_BY_NAME) == [n.removeprefix("check_") for n in sqlfiles.names("check_")]
    spec = next(iter(CHECKS_BY_NAME["episode_ids_are_unique"].check_specs))
    assert spec.description == "No two rows share an episode_id."
    assert spec.asset_key.to_user_string() == "episodes"


def test_checks_refuse_a_parameter_they_cannot_fill():
    from podcast_assets.defs import checks
    from podcast_assets.sqlfiles import SqlFile

    query = SqlFile("check_x", "x", "SELECT ?", {"asset": "episodes", "parameters": "nope"})
    with pytest.raises(ValueError, match="unknown parameters"):
        checks._parameter_names(query)
