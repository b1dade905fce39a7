"""Model names that the episode itself writes as ordinary words, through the real pipeline."""

from __future__ import annotations

from podcast_assets.extraction import extract_transcripts
from podcast_assets.extraction.case_evidence import CaseCounts, drop_ordinary_words, opens_sentence
from podcast_assets.extraction.mentions import MentionDraft
from podcast_assets.extraction.people import EpisodePeople
from podcast_assets.models import segments_from_texts


def entities(nlp, texts):
    extraction = next(extract_transcripts(nlp, [("ep", segments_from_texts(texts))]))
    return {m["entity"]: m for m in extraction.mentions}


def test_extraction_case_counts_tell_sentence_openings_from_mid_sentence():
    text = "Creating audio.\nWe keep creating clips, creating more. Time bound, Time, time."
    counts = CaseCounts(text, ["Creating", "Time"])
    assert (counts.capitalised["Creating"], counts.mid["Creating"]) == (1, 0)
    assert counts.lower["creating"] == 2
    assert (counts.capitalised["Time"], counts.mid["Time"], counts.lower["time"]) == (2, 1, 1)
    assert counts.is_ordinary("Creating", person=True)
    assert not counts.is_ordinary("Time", person=False)  # as often capitalised as not
    assert opens_sentence(text, 0) and opens_sentence(text, text.index("We"))
    assert not opens_sentence(text, text.index("creating"))


def test_extraction_a_word_opening_a_line_and_said_in_lower_case_is_no_name(nlp):
    found = entities(
        nlp,
        [
            "We edited the show in a hurry that much faster",
            "Creating good audio is really key to keeping your listeners.",
            "When you are creating your intro, keep it short, and keep creating clips.",
        ],
    )
    assert "Creating" not in found  # the model calls it a PERSON here


def test_extraction_a_word_capitalised_by_habit_but_mostly_lower_case_is_no_name(nlp):
    found = entities(
        nlp,
        [
            "Goals should be Specific, Measurable, Achievable, Relevant, Time bound goals.",
            "You need time for that, and time is short, so take your time.",
        ],
    )
    assert "Time" not in found  # the model calls it an ORG


def test_extraction_names_said_once_in_lower_case_or_also_a_verb_stay(nlp):
    found = entities(
        nlp,
        [
            "The conference is returning to Boston in May, for three days in Boston.",
            "Learn more at odsc.com slash boston.",
            "I asked Mark about it, and he said to mark the date. We mark every release.",
        ],
    )
    assert found["Boston"]["label"] == "GPE"  # capitalised twice, lower case once
    assert found["Mark"]["label"] == "PERSON"  # a person named mid-sentence


def test_extraction_a_word_glued_to_a_known_name_at_a_sentence_start_is_cut(nlp):
    text = (
        "We met Nick Taylor in Montreal. He loved sports a long time ago. Rugby Nick is what "
        "we called him, because he played rugby every weekend and watched rugby too."
    )
    found = entities(nlp, [text])
    assert "Rugby Nick" not in found
    rows = [m for m in found.values() if m["entity"] == "Nick Taylor"]
    assert rows and rows[0]["label"] == "PERSON"
    extraction = next(extract_transcripts(nlp, [("ep", segments_from_texts([text]))]))
    linked = [m for m in extraction.mentions if m["surface"] == "Nick"]
    assert [(m["entity"], text[m["char_start"] : m["char_end"]]) for m in linked] == [
        ("Nick Taylor", "Nick")
    ]


def test_extraction_case_evidence_leaves_languages_that_capitalise_nouns_alone():
    text = "Die Grünen wollen mehr grünen Strom und grünen Wasserstoff."
    start = text.index("Grünen")
    party = MentionDraft("Grünen", "Grünen", "ORG", None, start, start + 6, "spacy", None)
    people = EpisodePeople((), [])
    assert drop_ordinary_words([party], text, people, "de") == [party]
    assert drop_ordinary_words([party], text, people, "en") == []  # were the rule applied
