"""Alias resolution across a corpus: keys, merges, gazetteer precedence, overrides, junk.

Names are from real transcripts: a podcasting-news episode ("Audio Boom", "Pod News"), Go Time,
Postgres FM, Data Engineering Podcast ("Zenlytic"), Super Data Science ("Jon Krohn"), a Hebrew
show and a Venezuelan one. Pure functions (no spaCy pipeline), but for the last test: the
extract step writing `entity_aliases` with its mentions.
"""

from __future__ import annotations

import random

import pytest

from podcast_assets.extraction.aliases import (
    Alias,
    NameCount,
    alias_key,
    gazetteer_keys,
    is_fused_discourse,
    resolve_aliases,
)
from podcast_assets.extraction.gazetteer import Entry, Gazetteer, load_gazetteer

from .conftest import ALIAS_SPELLINGS


def names(*rows: tuple[str, str | None, int]) -> list[NameCount]:
    return [NameCount(*row) for row in rows]


def mapping(aliases: list[Alias]) -> dict[str, tuple[str, str]]:
    return {a.surface: (a.canonical, a.method) for a in aliases}


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Audio Boom", "audioboom"),
        ("Audioboom", "audioboom"),
        ("audio-boom", "audioboom"),
        ("Pod News", "podnews"),
        ("POD News", "podnews"),
        ("Podnews's", "podnews"),
        ("Podnews'", "podnews"),
        ("Podnews\u2019s", "podnews"),
        ("Podnews's.", "podnews"),
        ("O'Reilly", "oreilly"),
        ("Go Time #300", "gotime300"),
        ("Trainium 2", "trainium2"),
        ("Rafael Arráiz Lucca", "rafaelarraizlucca"),
        ("Armando Reverón", "armandoreveron"),
        ("Straße", "strasse"),
        ("Łódź", "lodz"),
        ("Ærø", "aero"),
        ("\uff30\uff4f\uff44news", "podnews"),  # full-width letters
        ("Αθήνα", "αθηνα"),
        ("Ёлка", "елка"),
        ("דורון פישלר", "דורוןפישלר"),
        ("דורון-פישלר", "דורוןפישלר"),
        ("हिन्दी", "हिन्दी"),  # Devanagari vowel signs are letters' parts, kept
        ("東京 大学", "東京大学"),
        ("!!!", ""),
        # A sign closing a word is said: C# is "C sharp", C++ "C plus plus", neither is C.
        ("C#", "csharp"),
        ("C sharp", "csharp"),
        ("C++", "cplusplus"),
        ("Disney+", "disneyplus"),
        ("Data + AI", "dataai"),
        ("#hashtag", "hashtag"),
    ],
)
def test_extraction_aliases_alias_key(name, key):
    assert alias_key(name) == key


def test_extraction_aliases_spelling_families_merge_to_the_most_used():
    aliases = resolve_aliases(
        names(
            ("Audio Boom", "ORG", 3),
            ("Audioboom", "ORG", 5),
            ("audioboom's", "ORG", 1),
            ("Pod News", "ORG", 2),
            ("POD News", "ORG", 1),
            ("Podnews", "ORG", 4),
            ("Podnews'", "ORG", 1),
            ("PlantScale", "ORG", 1),
            ("PlanetScale", "ORG", 6),
            ("Zenlytic", "ORG", 4),
            ("Zenlitic", "ORG", 1),
            ("Zenlytics", "ORG", 1),
            ("Gophers Say", "WORK_OF_ART", 2),
            ("Gopher Says", "WORK_OF_ART", 1),
        ),
        {},
    )
    assert mapping(aliases) == {
        "Audio Boom": ("Audioboom", "key"),
        "audioboom's": ("Audioboom", "key"),
        "Pod News": ("Podnews", "key"),
        "POD News": ("Podnews", "key"),
        "Podnews'": ("Podnews", "key"),
        "PlantScale": ("PlanetScale", "fuzzy"),
        "Zenlitic": ("Zenlytic", "phonetic"),
        "Zenlytics": ("Zenlytic", "fuzzy"),
        "Gopher Says": ("Gophers Say", "fuzzy"),
    }
    assert all(a.score == 100.0 for a in aliases if a.method == "key")
    assert all(90 <= a.score < 100 for a in aliases if a.method == "fuzzy")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Postgres", "Postgres AI"),  # a name plus a word is another name
        ("OpenShift", "OpenShift AI"),
        ("Godfather", "Godfather II"),
        ("Llama 2", "Llama 3"),
        ("Trainium 2", "Trainium 3"),
        ("Docker", "Decker"),
        ("Notion", "Nation"),
        ("Claude", "Clause"),
        ("Postman", "Postmark"),
        ("Meta", "Mata"),
    ],
)
def test_extraction_aliases_near_names_of_other_things_stay_apart(first, second):
    assert resolve_aliases(names((first, "PRODUCT", 5), (second, "PRODUCT", 1)), {}) == []


def test_extraction_aliases_gazetteer_names_win_over_counts():
    gazetteer = gazetteer_keys(load_gazetteer())
    aliases = resolve_aliases(
        names(
            ("John Krohn", "PERSON", 9),  # a listed mishearing, more frequent than the name
            ("john crone", "PERSON", 3),
            ("Jon Kron", "PERSON", 2),  # not listed: sounds like it
            ("Jon Krohn", "PERSON", 1),
            ("Jon Krohn", "ORG", 1),  # the model's label does not matter for a listed name
        ),
        gazetteer,
    )
    assert {(a.surface, a.label): (a.canonical, a.method) for a in aliases} == {
        ("John Krohn", "PERSON"): ("Jon Krohn", "gazetteer"),
        ("john crone", "PERSON"): ("Jon Krohn", "gazetteer"),
        ("Jon Kron", "PERSON"): ("Jon Krohn", "phonetic"),
    }


def test_extraction_aliases_two_gazetteer_entities_never_merge():
    gazetteer = gazetteer_keys(
        Gazetteer(
            entries=(
                Entry("Postgres", "PRODUCT", aliases=("PostgreSQL",)),
                Entry("PostgREST", "PRODUCT"),
            )
        )
    )
    assert gazetteer == {"postgres": "Postgres", "postgrest": "PostgREST", "postgresql": "Postgres"}
    aliases = resolve_aliases(
        names(
            ("Postgres", "PRODUCT", 1), ("PostgREST", "PRODUCT", 40), ("Postgre SQL", "PRODUCT", 2)
        ),
        gazetteer,
    )
    assert mapping(aliases) == {"Postgre SQL": ("Postgres", "gazetteer")}


def test_extraction_aliases_gazetteer_keys_index_names_before_aliases():
    gazetteer = Gazetteer(
        entries=(Entry("Annapurna Labs", "ORG", aliases=("AWS",)), Entry("AWS", "ORG"))
    )
    assert gazetteer_keys(gazetteer) == {"annapurnalabs": "Annapurna Labs", "aws": "AWS"}


def test_extraction_aliases_person_spellings_merge_by_sound_with_vowels():
    aliases = resolve_aliases(
        names(
            ("John Krohn", "PERSON", 4),
            ("Jon Cron", "PERSON", 2),
            ("John Crone", "PERSON", 1),
            ("Kris Brandow", "PERSON", 9),
            ("Chris Brandow", "PERSON", 2),
            ("Johnny Boursiquot", "PERSON", 7),
            ("Johnny Bourciquot", "PERSON", 1),
        ),
        {},
    )
    assert mapping(aliases) == {
        "Jon Cron": ("John Krohn", "phonetic"),
        "John Crone": ("John Krohn", "phonetic"),
        "Chris Brandow": ("Kris Brandow", "phonetic"),
        "Johnny Bourciquot": ("Johnny Boursiquot", "phonetic"),
    }


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Jason Warner", "Jason Werner"),  # 91 similar, same metaphone: two people
        ("Jerod Santo", "Jared Santo"),
        ("Jen Simmons", "Brent Simmons"),
        ("Tony Parker", "Jamie Parker"),
        ("Dave Smith", "Dave Mark"),
        ("Jason Staten", "Jason Warner"),
        ("Rich Sutton", "Richard Sutton"),  # a nickname is not a spelling
        ("Jon", "Jon Krohn"),  # a lone first name is linked per episode, not here
        ("Chris", "Kris"),
        ("Matt Hoffman", "Matt D. Hoffman"),
    ],
)
def test_extraction_aliases_different_people_are_not_merged(first, second):
    assert resolve_aliases(names((first, "PERSON", 5), (second, "PERSON", 2)), {}) == []


def test_extraction_aliases_overrides_force_and_forbid():
    gazetteer = gazetteer_keys(load_gazetteer())
    rows = names(
        ("Rich Sutton", "PERSON", 2),
        ("Richard Sutton", "PERSON", 5),
        ("Zenlytic", "ORG", 4),
        ("Zenlytics", "ORG", 1),
        ("Zenlitic", "ORG", 1),
        ("Audio Boom", "ORG", 2),
        ("Audioboom", "ORG", 3),
        ("Audio B", "ORG", 1),
        ("Jonny K", "PERSON", 1),
        ("John Cron", "PERSON", 1),
    )
    overrides = {
        "Rich Sutton": "Richard Sutton",  # force a merge
        "Zenlytics": None,  # never merge this surface
        "Zenlytic": None,  # ... nor into this one: "Zenlitic" stays apart too
        "Audio B": "Audio Boom",  # a target that merges resolves to its canonical
        "Jonny K": "john crone",  # a gazetteer form resolves to its canonical
        "John Cron": "Johnny Cron",  # the gazetteer is not overridden
    }
    assert mapping(resolve_aliases(rows, gazetteer, overrides)) == {
        "Rich Sutton": ("Richard Sutton", "override"),
        "Audio Boom": ("Audioboom", "key"),
        "Audio B": ("Audioboom", "override"),
        "Jonny K": ("Jon Krohn", "override"),
        "John Cron": ("Jon Krohn", "gazetteer"),
    }


def test_extraction_aliases_input_order_does_not_change_the_output():
    rows = names(
        ("Audio Boom", "ORG", 3),
        ("Audioboom", "ORG", 3),  # a tie: fewer spaces wins
        ("Deep Mind", "ORG", 2),
        ("DeepMind", "ORG", 2),  # a tie: capitals inside a word win
        ("podnews", "ORG", 2),
        ("Podnews", "ORG", 2),  # a tie: not all lower case wins
        ("Zenlytic", "ORG", 1),
        ("Zenlitic", "ORG", 1),
        ("Zenlytics", "ORG", 1),
        ("Kris Brandow", "PERSON", 1),
        ("Chris Brandow", "PERSON", 1),
    )
    expected = resolve_aliases(rows, {})
    assert {a.surface: a.canonical for a in expected} == {
        "Audio Boom": "Audioboom",
        "Deep Mind": "DeepMind",
        "podnews": "Podnews",
        "Zenlytic": "Zenlitic",  # a tie: code-point order; "Zenlytics" is not near "Zenlitic"
        "Kris Brandow": "Chris Brandow",
    }
    assert expected == sorted(expected, key=lambda a: (a.label or "", a.canonical, a.surface))
    shuffler = random.Random(7)
    for _ in range(20):
        shuffler.shuffle(rows)
        assert resolve_aliases(rows, {}) == expected


def test_extraction_aliases_counts_of_one_surface_add_up():
    rows = names(("Audio Boom", "ORG", 2), ("Audioboom", "ORG", 3), ("Audio  Boom", "ORG", 2))
    assert mapping(resolve_aliases(rows, {})) == {"Audioboom": ("Audio Boom", "key")}


def test_extraction_aliases_labels_are_kept_apart():
    rows = names(
        ("Audio Boom", "PRODUCT", 1),
        ("Audioboom", "ORG", 4),
        ("Zenlytic", "ORG", 3),
        ("Zenlytics", "PRODUCT", 1),
        ("Pod News", None, 1),
        ("Podnews", None, 2),
        ("Zenlitic", None, 1),  # unknown type: key merges only
        ("Zenlytic", None, 2),
        ("Colombia", "GPE", 3),  # places one letter apart are other places
        ("Columbia", "GPE", 1),
        ("Austria", "GPE", 3),
        ("Australia", "GPE", 1),
        ("new Zealand", "GPE", 1),
        ("New Zealand", "GPE", 5),
    )
    assert {(a.surface, a.label): a.canonical for a in resolve_aliases(rows, {})} == {
        ("Pod News", None): "Podnews",
        ("new Zealand", "GPE"): "New Zealand",
    }


def test_extraction_aliases_non_latin_names():
    rows = names(
        ("דורון פישלר", "PERSON", 5),
        ("דורון-פישלר", "PERSON", 1),
        ("דורון", "PERSON", 9),
        ("Αθήνα", "GPE", 2),
        ("ΑΘΗΝΑ", "GPE", 1),
        ("東京大学", "ORG", 2),
        ("東京 大学", "ORG", 1),
        ("東京工業大学", "ORG", 1),
    )
    assert mapping(resolve_aliases(rows, {})) == {
        "דורון-פישלר": ("דורון פישלר", "key"),
        "ΑΘΗΝΑ": ("Αθήνα", "key"),
        "東京 大学": ("東京大学", "key"),
    }


@pytest.mark.parametrize(
    ("name", "language", "fused"),
    [
        ("Metallica Okay", "en", True),
        ("Jira Yeah", "en", True),
        ("I. Basically", "en", True),
        ("So I", "en", True),
        ("Okay Google", "en", True),  # the filler is far more common than the wake word
        ("Podnews, you know", "en", True),
        ("Manifernal Labs was", "en", True),
        ("Yep", "en", True),
        ("Jon Krohn", "en", False),
        ("Go Time", "en", False),
        ("Virtual Coffee", "en", False),
        ("Buenas", "es", True),
        ("Esta vez", "es", True),
        ("Buenas tardes Rafael", "es", True),
        ("Caracas, pues", "es-VE", True),
        ("Armando Reverón", "es", False),
        ("La Guaira", "es", False),
        ("Y Combinator", "es", False),
        ("Alors Macron", "fr", True),
        ("Bon Jovi", "fr", False),
        ("Genau Linus", "de", True),
        ("Logbuch Netzpolitik", "de", False),
        ("So I", "he", True),  # no table: English rules
        ("", "en", False),
    ],
)
def test_extraction_aliases_is_fused_discourse(name, language, fused):
    assert is_fused_discourse(name, language) is fused


def test_extraction_aliases_commit_with_the_steps_last_mentions(
    nlp, new_warehouse, tmp_path, monkeypatch
):
    """After each of the extract step's commits, `entity_aliases` holds the merges of the
    mentions then committed: the last batch's mentions never show with the old aliases."""
    from podcast_assets import steps
    from podcast_assets.warehouse import writes

    files = []
    for name, text in ALIAS_SPELLINGS.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        files.append((name.removesuffix(".txt"), tmp_path / name))
    steps.ingest.ingest_files(new_warehouse, files)
    committed = writes.replace_partitions
    states = []

    def observed(con, *args, **kwargs):
        counts = committed(con, *args, **kwargs)
        names = {e for (e,) in con.execute("SELECT DISTINCT entity FROM mentions").fetchall()}
        aliases = con.execute("SELECT surface, canonical FROM entity_aliases").fetchall()
        states.append((names >= {"Audio Boom", "Audioboom"}, aliases))
        return counts

    monkeypatch.setattr(writes, "replace_partitions", observed)
    monkeypatch.setattr(steps.extract, "CHUNK", 1)  # one commit per episode
    report = steps.extract.extract_partitions(new_warehouse, [e for e, _ in files], nlp)
    assert report.extracted == ["spelling-a", "spelling-b"] and report.aliases == 1
    assert states == [(False, []), (True, [("Audio Boom", "Audioboom")])]
