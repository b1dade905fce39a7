"""The people of an episode (speaker labels, the feed's podcast:person) as PERSON mentions with
a role: pure rules, the real pipeline on small texts, and the extract step on a real warehouse."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from podcast_assets import warehouse
from podcast_assets.extraction import Transcript, extract_transcripts, load_gazetteer
from podcast_assets.extraction.people import (
    EpisodePeople,
    Person,
    is_person_label,
    listed_people,
    people_rows,
    show_said,
)
from podcast_assets.models import segments_from_texts
from podcast_assets.schema import MENTIONS

from .conftest import SEEDS_DIR


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Adam Curry", True),
        ("Gilon", True),
        ("Ana de la Cruz", True),
        ("SPEAKER_1", False),
        ("Speaker 2", False),
        ("S1", False),
        ("Host", False),
        ("interviewer", False),
        ("Guest 2", False),
        ("AUDIENCE", False),
    ],
)
def test_extraction_people_only_name_like_labels_are_persons(label, expected):
    assert is_person_label(label) is expected


def test_extraction_people_listed_keep_first_role_and_default_to_host():
    people = listed_people(
        [{"name": "Ana Ruiz", "role": "Guest"}, {"name": "Bo Lind"}, {"name": "ana  ruiz"}],
        hosts=["Bo Lind", "Cy Park"],
        guests=["Dee Moss"],
    )
    assert people == (
        Person("Ana Ruiz", "guest"),
        Person("Bo Lind", "host"),
        Person("Cy Park", "host"),
        Person("Dee Moss", "guest"),
    )


def test_extraction_people_a_first_name_label_is_the_listed_person_with_that_name():
    segments = segments_from_texts(
        ["Hi.", "Hello.", "Hey.", "Yo."], speakers=["Priya", "Tomas", "SPEAKER_3", "Host"]
    )
    listed = (Person("Priya Raman", "host"), Person("Lena Voss", "producer"))
    people = EpisodePeople(listed, segments)
    assert people.speakers == {
        "Priya": Person("Priya Raman", "host"),
        "Tomas": Person("Tomas", "speaker"),
    }
    rows = people_rows("ep", people, load_gazetteer())
    by_entity = {r["entity"]: r for r in rows}
    assert set(by_entity) == {"Priya Raman", "Tomas", "Lena Voss"}
    priya = by_entity["Priya Raman"]
    assert (priya["surface"], priya["speaker"], priya["source"], priya["role"]) == (
        "Priya",
        "Priya",
        "speaker",
        "host",
    )
    lena = by_entity["Lena Voss"]
    assert (lena["source"], lena["role"], lena["speaker"]) == ("metadata", "producer", None)
    for row in rows:
        assert list(row) == MENTIONS.column_names
        assert row["label"] == "PERSON"
        assert row["char_start"] is None and row["segment_seq"] is None


def test_extraction_people_a_label_keeps_the_role_written_after_the_name():
    """`Name (host):` labels: the written role is the person's, unless the metadata lists
    them with one; a one-word label keeps its role when it links to a full name."""
    segments = segments_from_texts(
        ["Hi.", "Hello.", "Hey.", "Yo.", "Hm."],
        speakers=["Leo Dion", "Ana Lima", "Tim Mitra", "Kim", "Leo Dion"],
        roles=["host", "co-host", "host", "guest", None],
    )
    people = EpisodePeople((Person("Tim Mitra", "guest"),), segments)
    assert people.speakers == {
        "Leo Dion": Person("Leo Dion", "host"),
        "Ana Lima": Person("Ana Lima", "co-host"),
        "Tim Mitra": Person("Tim Mitra", "guest"),  # listed: the metadata's role wins
        "Kim": Person("Kim", "guest"),
    }
    people.link_lone_names({"kim": {"Kim Soto"}})
    assert people.speakers["Kim"] == Person("Kim Soto", "guest")
    rows = {
        r["entity"]: (r["source"], r["role"]) for r in people_rows("ep", people, load_gazetteer())
    }
    assert rows == {
        "Leo Dion": ("speaker", "host"),
        "Ana Lima": ("speaker", "co-host"),
        "Tim Mitra": ("speaker", "guest"),
        "Kim Soto": ("speaker", "guest"),
    }


def test_extraction_people_a_written_role_reaches_the_extract_step(new_warehouse, tmp_path):
    """Ingest stores the role (`segments.speaker_role`) and the extract step reads it back."""
    from podcast_assets import steps

    path = tmp_path / "ep.txt"
    path.write_text("Ana Lima (Host): One.\nBo Park: Two.\nAna Lima: Three.\nBo Park: Four.\n")
    steps.ingest.ingest_files(new_warehouse, [("ep", path)])
    with warehouse.open_reader(new_warehouse) as con:
        segments = warehouse.load_segments(con, ["ep"])["ep"]
    assert [(s.speaker, s.speaker_role) for s in segments] == [
        ("Ana Lima", "host"),
        ("Bo Park", None),
        ("Ana Lima", None),
        ("Bo Park", None),
    ]
    assert EpisodePeople((), segments).speakers == {
        "Ana Lima": Person("Ana Lima", "host"),
        "Bo Park": Person("Bo Park", "speaker"),
    }


def test_extraction_people_take_the_gazetteer_name_of_a_person_it_knows():
    """The metadata's spelling and the text's must meet under one name, or the episode's
    first names would link to a spelling that the corpus-wide aliases then merge."""
    people = EpisodePeople((Person("John Krohn", "host"),), (), load_gazetteer())
    assert people.listed == (Person("Jon Krohn", "host"),)
    (row,) = people_rows("ep", people, load_gazetteer())
    assert (row["entity"], row["surface"], row["category"]) == ("Jon Krohn", "John Krohn", "host")


def test_extraction_people_a_spoken_spelling_that_sounds_like_a_person_is_that_person():
    people = EpisodePeople((Person("Marta Kowalski", "guest"),), ())
    assert people.spelled_like("Marta Kowalsky") == "Marta Kowalski"
    assert people.spelled_like("marta  kowalski") == "Marta Kowalski"
    assert people.spelled_like("Marta Nowak") is None
    assert people.spelled_like("Marta") is None


def test_extraction_people_said_finds_names_and_own_first_names_never_lower_case():
    listed = (Person("Will Ortega", "host"), Person("Ines Alba", "guest"), Person("Ines Roy", "x"))
    people = EpisodePeople(listed, ())
    text = "Will Ortega here. Will you ask Ines? Ines Alba will. Thanks, Will."
    said = [(text[a:b], name) for a, b, name in people.said(text)]
    # "Will" is also written in lower case, and two people are called Ines.
    assert said == [("Will Ortega", "Will Ortega"), ("Ines Alba", "Ines Alba")]
    assert [n for _, _, n in people.said("Thanks, Will.")] == ["Will Ortega"]


@pytest.mark.parametrize(
    ("show", "text", "said"),
    [
        ("Go Time: Golang, Software Engineering", "the past of Go Time, go time", ["Go Time"]),
        ("Postgres FM", "Welcome to PostgresFM and postgres fm.", ["PostgresFM"]),
        ("Today", "Today we talk, today only.", ["Today"]),
        (None, "Anything at all.", []),
    ],
)
def test_extraction_people_the_show_is_named_with_a_capital(show, text, said):
    assert [text[a:b] for a, b, _ in show_said(text, show)] == said


# --- the real pipeline ----------------------------------------------------------------------


def test_extraction_people_speakers_and_listed_people_are_mentions_with_roles(nlp):
    texts = [
        "Welcome back. Today I am talking with Priya about compost in small gardens.",
        "Thanks, Tomas. Compost is my favourite subject, as Priya knows.",
        "We recorded this in Lisbon last spring.",
        "Yes, and the birds were loud.",
    ]
    segments = segments_from_texts(texts, speakers=["Tomas Berg", "Priya", "Tomas Berg", "Priya"])
    listed = (Person("Priya Raman", "guest"), Person("Lena Voss", "producer"))
    item = Transcript("ep", segments, "en", "", listed)
    (extraction,) = extract_transcripts(nlp, [item])
    people = {m["entity"]: m for m in extraction.mentions if m["source"] in {"speaker", "metadata"}}
    assert {e: (m["source"], m["role"]) for e, m in people.items()} == {
        "Tomas Berg": ("speaker", "speaker"),
        "Priya Raman": ("speaker", "guest"),
        "Lena Voss": ("metadata", "producer"),
    }
    said = [m for m in extraction.mentions if m["char_start"] is not None]
    firsts = {m["surface"]: m for m in said if m["surface"] in {"Priya", "Tomas"}}
    # A lone first name is the one person of the episode who has it, with their role.
    assert (firsts["Priya"]["entity"], firsts["Priya"]["role"]) == ("Priya Raman", "guest")
    assert (firsts["Tomas"]["entity"], firsts["Tomas"]["label"]) == ("Tomas Berg", "PERSON")
    assert all(m["role"] is None for m in said if m["label"] != "PERSON")


def test_extraction_people_the_show_where_the_text_names_it(nlp):
    segments = segments_from_texts(["Welcome to Go Time, we talk about the Go language."])
    (extraction,) = extract_transcripts(nlp, [Transcript("ep", segments, "en", "", (), "Go Time")])
    (show,) = [m for m in extraction.mentions if m["entity"] == "Go Time"]
    assert (show["surface"], show["label"], show["char_start"]) == ("Go Time", "WORK_OF_ART", 11)


# --- the extract step on a real warehouse ---------------------------------------------------

EDITOR = '<podcast:person role="editor">Sam Quinn</podcast:person>'


def test_extraction_people_the_extract_step_takes_the_feed_persons(tmp_path: Path, nlp):
    from podcast_assets import steps

    raw = tmp_path / "raw"
    raw.mkdir()
    feed = (SEEDS_DIR / "soil-and-sky.xml").read_text(encoding="utf-8")
    guest = '<podcast:person role="guest" href="https://example.com/people/maya-ortiz">'
    assert guest in feed
    (raw / "soil-and-sky.xml").write_text(feed.replace(guest, EDITOR + guest), encoding="utf-8")
    shutil.copyfile(SEEDS_DIR / "soil-and-sky-012.json", raw / "soil-and-sky-012.json")
    db = tmp_path / "w.duckdb"
    files = [("soil-and-sky-xml", raw / "soil-and-sky.xml")]
    files.append(("soil-and-sky-012-json", raw / "soil-and-sky-012.json"))
    steps.ingest.ingest_files(db, files)
    steps.extract.extract_partitions(db, [eid for eid, _ in files], nlp)
    with warehouse.open_reader(db) as con:
        people = con.execute(
            "SELECT entity, source, role FROM mentions WHERE source IN ('speaker', 'metadata') "
            "ORDER BY entity"
        ).fetchall()
        nadia = con.execute(
            "SELECT DISTINCT entity, role FROM mentions WHERE surface = 'Nadia'"
        ).fetchall()
    assert people == [
        ("Maya Ortiz", "speaker", "guest"),
        ("Nadia Brooks", "speaker", "host"),
        ("Sam Quinn", "metadata", "editor"),
    ]
    assert nadia == [("Nadia Brooks", "host")]
