"""Entity mentions in transcripts: the EntityRuler's gazetteer matches and cleaned model NER.

Confidence is a fixed, documented scale rather than a model probability (the small pipeline
does not expose calibrated entity scores):
- 0.9   gazetteer name or alias matched exactly (EntityRuler, or lookup of a trimmed NER span);
- 0.9 * similarity/100  for a fuzzy match of an NER span to a gazetteer name (>= 0.79);
- 0.6   a lone first name linked to the one full name of the episode that starts with it;
- 0.4 + 0.1 per occurrence in the episode, at most 0.8, for other model NER spans: a name the
  model finds again and again is more likely real than a one-off.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from spacy.tokens import Doc, Span

from podcast_assets.extraction.aliases import (
    NameCount,
    gazetteer_keys,
    is_fused_discourse,
    resolve_aliases,
)
from podcast_assets.extraction.gazetteer import Gazetteer
from podcast_assets.extraction.rows import make_row
from podcast_assets.extraction.surfaces import (
    is_junk,
    is_leading_word,
    is_pronoun,
    is_trailing_word,
    normalize_space,
)
from podcast_assets.models import Segment
from podcast_assets.schema import MENTIONS

SOURCE_SPACY = "spacy"
SOURCE_GAZETTEER = "gazetteer"
SOURCE_PROPER_NOUN = "proper_noun"  # see proper_nouns.py
# Names found by a model or by their writing, not looked up: cleaned, merged, linked here.
FOUND_BY_SHAPE = frozenset({SOURCE_SPACY, SOURCE_PROPER_NOUN})
# Model labels worth a mention row. Numeric and temporal labels (CARDINAL, DATE, MONEY, ...)
# are not entities; NORP ("Buddhist", "Swiss") is mostly adjectives in speech.
KEEP_LABELS = frozenset(
    {"PERSON", "ORG", "PRODUCT", "GPE", "LOC", "FAC", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE"}
)
MIN_MODEL_CHARS = 2
CONTEXT_CHARS = 80
CONFIDENCE_EXACT = 0.9
CONFIDENCE_LINKED = 0.6


@dataclass(slots=True)
class MentionDraft:
    """A mention before episode-level linking; offsets are into the transcript."""

    entity: str
    surface: str
    label: str | None
    category: str | None
    start: int
    end: int
    source: str
    confidence: float | None  # None: set from the episode's frequency when finished


def doc_mentions(doc: Doc, offset: int, gazetteer: Gazetteer) -> list[MentionDraft]:
    """Mentions in one chunk's doc; `offset` is the chunk's start in the transcript."""
    by_name = gazetteer.by_name
    drafts: list[MentionDraft] = []
    for ent in doc.ents:
        entry = by_name.get(ent.ent_id_) if ent.ent_id_ else None
        if entry is not None:  # the EntityRuler's match
            drafts.append(
                MentionDraft(
                    entry.name,
                    ent.text,
                    entry.label,
                    entry.category,
                    offset + ent.start_char,
                    offset + ent.end_char,
                    SOURCE_GAZETTEER,
                    CONFIDENCE_EXACT,
                )
            )
            continue
        if ent.label_ not in KEEP_LABELS:
            continue
        span = trim_span(ent)
        if span is None or gazetteer.is_ignored(span.text) or gazetteer.is_ignored(ent.text):
            continue
        surface = span.text
        start, end = offset + span.start_char, offset + span.end_char
        resolution = gazetteer.resolve(surface)
        if resolution is not None:
            e = resolution.entry
            confidence = CONFIDENCE_EXACT * resolution.score / 100
            drafts.append(
                MentionDraft(
                    e.name, surface, e.label, e.category, start, end, SOURCE_GAZETTEER, confidence
                )
            )
        elif len(surface) > MIN_MODEL_CHARS and any(c.isupper() for c in surface):
            # Model-only spans must look like names: not all lowercase (ASR noise such as
            # "node"), not two letters ("LS", "N2"); short names belong in the gazetteer.
            entity = normalize_space(surface)
            drafts.append(
                MentionDraft(entity, surface, ent.label_, None, start, end, SOURCE_SPACY, None)
            )
    return drafts


def trim_span(span: Span) -> Span | None:
    """The span without leading discourse words or trailing function words, or None if what
    remains is not a name ("So I" -> None, "the Neuron SDK" -> "Neuron SDK")."""
    start, end = span.start, span.end
    doc = span.doc
    while start < end and (
        doc[start].is_space or doc[start].is_punct or is_leading_word(doc[start].text)
    ):
        start += 1
    while end > start and (
        doc[end - 1].is_space or doc[end - 1].is_punct or is_trailing_word(doc[end - 1].text)
    ):
        end -= 1
    if start >= end:
        return None
    trimmed = doc[start:end]
    tokens = [t for t in trimmed if not t.is_space]
    if all(is_pronoun(t.text) or (t.pos_ == "PRON" and t.text.islower()) for t in tokens):
        return None
    if all(t.like_num or t.is_punct for t in tokens) or is_junk(normalize_space(trimmed.text)):
        return None
    return trimmed


def finish_mentions(
    episode_id: str,
    drafts: list[MentionDraft],
    text: str,
    segments: list[Segment],
    segment_starts: list[int],
    gazetteer: Gazetteer,
    language: str | None = None,
) -> list[dict[str, Any]]:
    """Episode-level pass: drop names fused to a discourse word of the episode's language,
    merge spellings of one name, link lone first names (to a full name said in the episode
    or a speaker label), set frequency confidence, build rows."""
    drafts[:] = [
        d
        for d in drafts
        if d.source not in FOUND_BY_SHAPE or not is_fused_discourse(d.entity, language or "en")
    ]
    _merge_spellings(drafts, gazetteer)
    speakers = {s.speaker for s in segments if s.speaker and " " in s.speaker.strip()}
    _link_first_names(drafts, gazetteer, speakers)
    frequency = Counter(d.entity for d in drafts if d.source in FOUND_BY_SHAPE)
    rows = []
    for d in sorted(drafts, key=lambda d: (d.start, d.end)):
        if d.confidence is None:
            d.confidence = min(0.8, 0.4 + 0.1 * frequency[d.entity])
        segment = segments[bisect.bisect_right(segment_starts, d.start) - 1] if segments else None
        context = normalize_space(text[max(0, d.start - CONTEXT_CHARS) : d.end + CONTEXT_CHARS])
        rows.append(
            make_row(
                MENTIONS,
                episode_id=episode_id,
                entity=d.entity,
                surface=d.surface,
                label=d.label,
                category=d.category,
                char_start=int(d.start),
                char_end=int(d.end),
                segment_seq=segment.seq if segment else None,
                start_seconds=_seconds(segment.start_seconds) if segment else None,
                speaker=segment.speaker if segment else None,
                context=context or None,
                confidence=round(float(d.confidence), 3),
                source=d.source,
            )
        )
    return rows


def _merge_spellings(drafts: list[MentionDraft], gazetteer: Gazetteer) -> None:
    """ "Audio Boom" and "Audioboom" in one episode are one entity: model spans merged by
    `resolve_aliases` (same key, near-identical or sound-alike spellings of one label), under
    the gazetteer's name or else the episode's most frequent spelling."""
    counts = Counter((d.entity, d.label) for d in drafts if d.source in FOUND_BY_SHAPE)
    if len(counts) < 2:
        return
    names = [NameCount(entity, label, n) for (entity, label), n in counts.items()]
    canonical = {
        (a.surface, a.label): a.canonical
        for a in resolve_aliases(names, _gazetteer_keys(gazetteer))
    }
    by_name = gazetteer.by_name
    for d in drafts:
        target = canonical.get((d.entity, d.label)) if d.source in FOUND_BY_SHAPE else None
        if target is not None:
            d.entity = target
            entry = by_name.get(target)
            if entry is not None:
                d.source, d.label, d.category = SOURCE_GAZETTEER, entry.label, entry.category


_keys_by_gazetteer: dict[int, tuple[Gazetteer, dict[str, str]]] = {}


def _gazetteer_keys(gazetteer: Gazetteer) -> dict[str, str]:
    cached = _keys_by_gazetteer.get(id(gazetteer))
    if cached is None or cached[0] is not gazetteer:
        cached = _keys_by_gazetteer[id(gazetteer)] = (gazetteer, gazetteer_keys(gazetteer))
    return cached[1]


def _link_first_names(
    drafts: list[MentionDraft], gazetteer: Gazetteer, speakers: Collection[str] = frozenset()
) -> None:
    """ "Ron" -> "Ron Diamant" when exactly one full PERSON name in the episode (said, or a
    speaker's label) starts with it."""
    full_names: defaultdict[str, set[str]] = defaultdict(set)
    for d in drafts:
        if d.label == "PERSON" and " " in d.entity:
            full_names[d.entity.split(" ", 1)[0].casefold()].add(d.entity)
    for speaker in speakers:
        name = normalize_space(speaker)
        first = name.split(" ", 1)[0].casefold()
        if not any(n.casefold() == name.casefold() for n in full_names[first]):
            full_names[first].add(name)
    by_name = gazetteer.by_name
    for d in drafts:
        if d.source != SOURCE_SPACY or d.label != "PERSON" or " " in d.entity:
            continue
        candidates = full_names.get(d.entity.casefold(), set())
        if len(candidates) == 1:
            d.entity = next(iter(candidates))
            d.confidence = CONFIDENCE_LINKED
            entry = by_name.get(d.entity)
            if entry is not None:
                d.category = entry.category


def _seconds(value: float | None) -> float | None:
    return None if value is None else float(value)
