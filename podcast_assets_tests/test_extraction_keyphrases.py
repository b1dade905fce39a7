"""Keyphrases from tokens alone, on blank pipelines (a tokenizer with stop words, no model)."""

from __future__ import annotations

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from podcast_assets.extraction.keyphrases import (
    LONG_EPISODE_WORDS,
    SOURCE,
    Keyphrase,
    KeyphraseCounter,
    keyphrase_rows,
    wordfreq_language,
)
from podcast_assets.schema import TOPICS


@pytest.fixture(scope="module")
def en() -> Language:
    return spacy.blank("en")


def top(nlp: Language, *chunks: str, language: str | None = "en", k: int = 20) -> list[Keyphrase]:
    counter = KeyphraseCounter(language)
    for chunk in chunks:
        counter.add(nlp(chunk))
    return counter.top(k)


def phrases(found: list[Keyphrase]) -> list[str]:
    return [p.phrase.lower() for p in found]


def test_extraction_keyphrases_no_phrase_across_punctuation_or_line_break(en: Language) -> None:
    text = "Quokka wombat, platypus echidna.\nNumbat dingo (bilby) wallaby\n" * 3
    found = phrases(top(en, text))
    assert {"quokka wombat", "platypus echidna", "numbat dingo"} <= set(found)
    for crossing in ("wombat platypus", "echidna numbat", "dingo bilby", "bilby wallaby"):
        assert not any(crossing in p for p in found)


def test_extraction_keyphrases_stop_words_never_at_the_edges(en: Language) -> None:
    found = top(en, "The quokka of the wombat is in the burrow and the quokka sleeps. " * 3)
    assert found
    for p in found:
        words = p.phrase.lower().split()
        assert not en.vocab[words[0]].is_stop
        assert not en.vocab[words[-1]].is_stop


def test_extraction_keyphrases_number_and_filler_are_never_candidates(en: Language) -> None:
    found = phrases(top(en, "Yeah, k8s cluster in 2024, yeah, gonna need k8s cluster, um. " * 3))
    assert "k8s cluster" in found
    assert not any(w in p.split() for p in found for w in ("yeah", "2024", "gon", "na", "um"))


def test_extraction_keyphrases_hyphenated_words_are_one_word(en: Language) -> None:
    found = phrases(top(en, "Self-driving trucks. Self-driving trucks. Self-driving trucks."))
    assert found[0] == "self-driving trucks"
    assert "driving trucks" not in found


@pytest.mark.parametrize(
    ("text", "kept", "dropped"),
    [
        # "vector" occurs only inside "vector database": the longer phrase stands for both.
        ("Our vector database grew. A vector database helps. " * 2, "vector database", "vector"),
        # "bloat" occurs 6 times, twice in "index bloat": it is a topic on its own.
        ("Index bloat again. Bloat, bloat everywhere. " * 2, "bloat", None),
    ],
)
def test_extraction_keyphrases_sub_phrase_dominated_by_longer_phrase(
    en: Language, text: str, kept: str, dropped: str | None
) -> None:
    found = phrases(top(en, text))
    assert kept in found
    if dropped is not None:
        assert dropped not in found


def test_extraction_keyphrases_case_variants_merge_under_most_frequent(en: Language) -> None:
    found = top(en, "Postgres rocks. Postgres rules. postgres. POSTGRES. Postgres wins.")
    (postgres,) = [p for p in found if p.phrase.lower() == "postgres"]
    assert postgres.phrase == "Postgres"
    assert postgres.count == 5
    assert postgres.forms == ("Postgres", "POSTGRES", "postgres")


def test_extraction_keyphrases_plural_merges_with_singular(en: Language) -> None:
    found = top(en, "The index helps. Two indexes. Another index. More indexes.")
    (index,) = [p for p in found if p.phrase.lower() in ("index", "indexes")]
    assert index.count == 4
    assert set(index.forms) == {"index", "indexes"}


def test_extraction_keyphrases_counts_across_chunk_docs(en: Language) -> None:
    found = top(en, "We tuned autovacuum today.", "Then autovacuum ran again.")
    assert [(p.phrase, p.count) for p in found if p.phrase == "autovacuum"] == [("autovacuum", 2)]


def test_extraction_keyphrases_minimum_count_grows_with_episode_length(en: Language) -> None:
    twice = "Quokka burrow. Quokka burrow. "
    assert "quokka burrow" in phrases(top(en, twice))
    padding = "and the " * (LONG_EPISODE_WORDS // 2)
    assert "quokka burrow" not in phrases(top(en, twice + padding))
    assert "quokka burrow" in phrases(top(en, twice + "Quokka burrow. " + padding))


def test_extraction_keyphrases_common_words_alone_are_no_topic(en: Language) -> None:
    found = phrases(top(en, "Good people think about time and work. " * 4 + "Bloat, bloat."))
    assert found == ["bloat"]


def test_extraction_keyphrases_person_entities_are_excluded(en: Language) -> None:
    doc = en("Michael Christofides talks about bloat. Michael Christofides likes bloat. " * 2)
    doc.ents = [Span(doc, t.i, t.i + 2, label="PERSON") for t in doc if t.text == "Michael"]
    counter = KeyphraseCounter("en")
    counter.add(doc)
    found = phrases(counter.top())
    assert found[0] == "bloat"
    assert not any(w in p.split() for p in found for w in ("michael", "christofides"))


def test_extraction_keyphrases_named_speakers_are_excluded(en: Language) -> None:
    counter = KeyphraseCounter("en", names=["Nikolay Samokhvalov"])
    counter.add(en("Nikolay says bloat hurts. Thanks Nikolay, bloat indeed. " * 2))
    found = phrases(counter.top())
    assert found[0] == "bloat"
    assert not any("nikolay" in p for p in found)


def test_extraction_keyphrases_spanish_text() -> None:
    es = spacy.blank("es")
    text = (
        "Armando Reverón pintó la luz de Macuto. En el Castillete de Macuto pintaba desnudo. "
        "La luz de Macuto era blanca, y el pintor vivía en el Castillete con Juanita. "
        "El pintor buscaba la luz."
    )
    found = top(es, text, language="es-VE")
    assert {"macuto", "castillete", "pintor"} <= set(phrases(found))
    for p in found:
        assert not any(es.vocab[w].is_stop for w in p.phrase.lower().split())


@pytest.mark.parametrize("language", ["eu", None])
def test_extraction_keyphrases_language_without_wordfreq_data(language: str | None) -> None:
    eu = spacy.blank("eu")
    text = "Euskal Herriko musika tradizionala. Euskal Herriko musika berria eta trikitixa. " * 2
    found = top(eu, text, language=language)
    assert found and "euskal herriko musika" in phrases(found)
    assert wordfreq_language(language) is None


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "en"), ("es-VE", "es"), ("pt_BR", "pt"), ("no", "nb"), ("eu", None), ("", None)],
)
def test_extraction_keyphrases_wordfreq_language(language: str, expected: str | None) -> None:
    assert wordfreq_language(language) == expected


def test_extraction_keyphrases_empty_doc(en: Language) -> None:
    counter = KeyphraseCounter("en")
    counter.add(Doc(en.vocab, words=[]))
    assert counter.top() == []


def test_extraction_keyphrases_rows_fit_the_topics_table() -> None:
    phrases_ = [
        Keyphrase("Vector database", 12, 40.0, ("Vector database", "vector database")),
        Keyphrase("k8s", 3, 9.0, ("k8s",)),
    ]
    rows = keyphrase_rows("ep1", phrases_)
    assert [list(r) for r in rows] == [list(TOPICS.column_names)] * 2
    first, second = rows
    assert first["topic"] == "vector database"
    assert first["keywords"] == ["Vector database", "vector database"]
    assert (first["mentions"], first["prominence"]) == (12, 1.0)
    assert (second["mentions"], second["prominence"]) == (3, 0.3)
    assert {r["source"] for r in rows} == {SOURCE} == {"keyphrase"}
    assert all(r.get("category") is None for r in rows)
