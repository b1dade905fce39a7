"""Names found by their writing: capitalised mid-sentence, every time the episode says them."""

from __future__ import annotations

import spacy

from podcast_assets.extraction.gazetteer import Gazetteer
from podcast_assets.extraction.mentions import MentionDraft
from podcast_assets.extraction.name_spans import with_titled_neighbours
from podcast_assets.extraction.proper_nouns import (
    keep_consistent,
    proper_noun_drafts,
    with_link_anchors,
)

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


def test_extraction_proper_nouns_a_run_of_capitals_counts_once():
    # Habit capitalises a word ("my fear is Heights"), not the word after it too.
    text = "Last week I met the Ember Labs people, and my fear is Heights, said Sarah."
    found = drafts(text)
    assert [d.entity for d in found] == ["Ember Labs", "Heights", "Sarah"]
    assert [d.entity for d in keep_consistent(found, text)] == ["Ember Labs"]
    assert keep_consistent(found, text + " ember labs is a lab.") == []  # also lower case


def test_extraction_proper_nouns_leave_names_already_taken_alone():
    # The model's name may reach past its entity ("Medium-Range" + "Weather Forecasts").
    text = "Models from the European Centre for Medium-Range Weather Forecasts are good."
    nlp = spacy.blank("en")
    start = text.index("European")
    taken = MentionDraft(
        "ECMWF", text[start:-10], "ORG", None, start, len(text) - 10, "spacy", None
    )
    found = proper_noun_drafts(nlp(text), 0, Gazetteer(()), [taken])
    assert [d.entity for d in found] == []
    assert [d.entity for d in proper_noun_drafts(nlp(text), 0, Gazetteer(()))] == [
        "European Centre",
        "Medium-Range",
        "Weather Forecasts",
    ]


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


def test_extraction_proper_nouns_camel_case_counts_once_even_opening_a_sentence():
    text = "I am Michael, founder of pgMustard.\nLinkedIn posts are fine. Then Berlin happened."
    kept = keep_consistent(drafts(text), text)
    # "Berlin" is written once, as an ordinary capital: not enough.
    assert [d.entity for d in kept] == ["pgMustard", "LinkedIn"]


def test_extraction_proper_nouns_link_texts_are_whole_names():
    text = (
        "He was on [JavaScript Jabber](https://example.com/jj) and now does "
        "[Soft Skills Engineering](https://example.com/sse), see [click here](https://x.y)."
    )
    start = text.index("JavaScript")
    model = MentionDraft("JavaScript", "JavaScript", "ORG", None, start, start + 10, "spacy", None)
    found = with_link_anchors([model], text)
    assert sorted(d.entity for d in found) == ["JavaScript Jabber", "Soft Skills Engineering"]
    assert all(text[d.start : d.end] == d.surface for d in found)
    # A gazetteer match of the whole link text stays as it is; one inside it gives way.
    end = start + len("JavaScript Jabber")
    known = MentionDraft(
        "JSJ", "JavaScript Jabber", "WORK_OF_ART", None, start, end, "gazetteer", 0.9
    )
    assert with_link_anchors([known], text)[0] is known
    part = MentionDraft(
        "JavaScript", "JavaScript", "PRODUCT", None, start, start + 10, "gazetteer", 1.0
    )
    assert [d.entity for d in with_link_anchors([part], text)] == [
        "JavaScript Jabber",
        "Soft Skills Engineering",
    ]


def test_extraction_proper_nouns_rare_words_count_once_where_the_language_has_a_word_list():
    text = (
        "We use RDS on the cloud, and my fear is Heights. Track your KPIs, and see "
        "[docs](https://example.com/Engineering](https://x.y) there."
    )
    found = drafts(text)
    assert {"RDS", "Heights", "KPIs"} <= {d.entity for d in found}
    # "RDS" is rare in English (Zipf 2.8); "Heights" (4.1) is a capital by habit; a plural
    # acronym is a concept; a word glued to markup is no name; without a word list, neither.
    assert [d.entity for d in keep_consistent(found, text, "en")] == ["RDS"]
    assert keep_consistent(found, text) == []
    assert keep_consistent(found, text + " The rds files.", "en") == []  # also lower case


def test_extraction_proper_nouns_keep_their_number_and_hyphens():
    text = "We had the Commodor\n64 at home and played Pac-Man on it, and multi-GPU games."
    found = drafts(text)
    assert [d.entity for d in found] == ["Commodor 64", "Pac-Man", "GPU"]
    assert all(text[d.start : d.end] == d.surface for d in found)
    assert [d.entity for d in keep_consistent(found, text, "en")] == ["Commodor 64"]


def model_name(text: str, name: str, label: str = "ORG", lang: str = "en") -> str:
    """`with_titled_neighbours` of `name`, as if the model had tagged just that in `text`."""
    nlp = spacy.blank(lang)
    nlp.add_pipe("sentencizer")
    doc = nlp(text)
    start = text.index(name)
    span = doc.char_span(start, start + len(name), label=label)
    assert span is not None
    doc.ents = [span]
    return with_titled_neighbours(doc.ents[0]).text


def test_extraction_model_names_gain_the_capitalised_words_beside_them():
    assert model_name("I was on JavaScript Jabber last week.", "JavaScript") == (
        "JavaScript Jabber"
    )
    assert model_name("listen to Soft Skills Engineering too", "Skills") == (
        "Soft Skills Engineering"
    )
    assert model_name("my cohost Yishai Beeri said", "Yishai", "PERSON") == "Yishai Beeri"


def test_extraction_model_names_gain_no_sentence_opener_discourse_word_or_next_line():
    # A sentence opener is capitalised anyway; "Okay" and "The" are never part of a name;
    # a line break ends a caption, and two words at most are added on a side.
    assert model_name("That is it. Netflix was first.", "Netflix") == "Netflix"
    assert model_name("we use Metallica Okay and more", "Metallica") == "Metallica"
    assert model_name("we met at The Verge office", "Verge") == "Verge"
    assert model_name("we use Postgres\nToday we talk", "Postgres") == "Postgres"
    assert model_name("about Apple Vision Pro Max Ultra", "Apple") == "Apple Vision Pro"
    assert model_name("wir nutzen Postgres Datenbanken", "Postgres", lang="de") == "Postgres"
    # A link's markup glued to the next word is not a word of the name.
    assert model_name("on [JavaScript Jabber](https://x.io) now", "JavaScript") == "JavaScript"
