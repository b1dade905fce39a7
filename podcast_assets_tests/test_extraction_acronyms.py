"""Spelled-out acronyms: the long form is one name, whole."""

from __future__ import annotations

from podcast_assets.extraction import extract_transcripts
from podcast_assets.extraction.acronyms import whole_expansions
from podcast_assets.extraction.mentions import MentionDraft
from podcast_assets.models import segments_from_texts

TEXT = (
    "We'll probably talk OKRs, so OKRs, Objectives and Key Results, KPIs, Key Performance "
    "Indicators. Our team at Travel Assist Corp (TAC) met AWS, Google and Microsoft."
)


def draft(surface: str, source: str = "spacy") -> MentionDraft:
    start = TEXT.index(surface)
    return MentionDraft(surface, surface, "ORG", None, start, start + len(surface), source, None)


def test_extraction_acronym_long_forms_replace_their_pieces():
    found = whole_expansions([draft("Objectives"), draft("Key Results"), draft("Google")], TEXT)
    assert sorted(d.entity for d in found) == ["Google", "Objectives and Key Results"]
    assert all(TEXT[d.start : d.end] == d.surface for d in found)
    # Before its acronym too; a long form nothing was found in is left alone ("Key
    # Performance Indicators"), and "Google and Microsoft" does not spell "AWS".
    found = whole_expansions([draft("Travel Assist"), draft("Microsoft")], TEXT)
    assert sorted(d.entity for d in found) == ["Microsoft", "Travel Assist Corp"]


def test_extraction_acronym_long_forms_stand_aside_for_the_gazetteer():
    known = draft("Key Results", source="gazetteer")
    assert whole_expansions([draft("Objectives"), known], TEXT) == [draft("Objectives"), known]


def test_extraction_acronym_long_forms_through_the_pipeline(nlp):
    extraction = next(extract_transcripts(nlp, [("ep", segments_from_texts([TEXT]))]))
    entities = {m["entity"] for m in extraction.mentions}
    assert "Objectives and Key Results" in entities
    assert not entities & {"Objectives", "Key Results"}
