"""Names found by their writing: capitalised mid-sentence, every time the episode says them."""

from __future__ import annotations

import spacy

from podcast_assets.extraction.gazetteer import Gazetteer
from podcast_assets.extraction.proper_nouns import keep_consistent, proper_noun_drafts

TEXT = (
    "We moved the app to Preact last year. Honestly Preact was easier than we thought.\n"
    "Then Sarah said Okay, and the team at Ember Labs agreed, okay.\n"
    "Ember Labs had tried it in Berlin once."
)


def drafts(text: str, lang: str = "en"):
    nlp = spacy.blank(lang)
    nlp.add_pipe("sentencizer")
    return proper_noun_drafts(nlp(text), 0, Gazetteer(()))


def test_extraction_proper_nouns_are_capitalised_mid_sentence_and_never_lower_case():
    found = drafts(TEXT)
    # A run opening a sentence or line is capitalised anyway ("Honestly Preact");
    # "Okay" is a discourse word.
    assert [d.entity for d in found] == ["Preact", "Sarah", "Ember Labs", "Berlin"]
    assert all(TEXT[d.start : d.end] == d.surface for d in found)
    kept = keep_consistent(found, TEXT)
    # "Sarah" and "Berlin" are written once; "Ember Labs" twice (once opening a line).
    assert sorted({d.entity for d in kept}) == ["Ember Labs", "Preact"]
    also_lower = TEXT + " We like preact."
    assert sorted({d.entity for d in keep_consistent(found, also_lower)}) == ["Ember Labs"]


def test_extraction_proper_nouns_runs_join_words_and_stop_at_line_starts():
    text = "I use Visual Studio Code daily.\nVisual Studio Code is fine, Visual Studio Code wins."
    names = [d.entity for d in drafts(text)]
    assert names == ["Visual Studio Code", "Visual Studio Code"]  # not the one opening line 2


def test_extraction_proper_nouns_mixed_case_names_count():
    assert [d.entity for d in drafts("we ship on the iPhone and the iPhone only")] == [
        "iPhone",
        "iPhone",
    ]


def test_extraction_proper_nouns_none_where_every_noun_is_capitalised():
    assert drafts("Wir sprechen heute über die Wahl und die Parteien im Nationalrat.", "de") == []


def test_extraction_proper_nouns_work_without_a_model_in_spanish():
    text = "Hoy hablamos de Caracas y de Reverón. Ya sabes que Reverón vivió en Caracas."
    assert sorted({d.entity for d in keep_consistent(drafts(text, "es"), text)}) == [
        "Caracas",
        "Reverón",
    ]
