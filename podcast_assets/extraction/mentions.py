"""Entity mentions in transcripts: the EntityRuler's gazetteer matches and cleaned model NER.

Confidence is a fixed, documented scale rather than a model probability (the small pipeline
does not expose calibrated entity scores):
- 0.9   gazetteer name or alias matched exactly (EntityRuler, or lookup of a trimmed NER span);
- 0.9 * similarity/100  for a fuzzy match of an NER span to a gazetteer name (>= 0.79);
- 0.9   a person of the episode (speaker label, or listed by the feed), see people.py, or
        the show's name said as the metadata writes it;
- 0.6   a lone first name linked to the one full name of the episode that starts with it;
- 0.4 + 0.1 per occurrence in the episode, at most 0.8, for other model NER spans: a name the
  model finds again and again is more likely real than a one-off.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from spacy.tokens import Doc, Span

from podcast_assets.extraction.aliases import (
    NameCount,
    alias_key,
    gazetteer_keys,
    is_fused_discourse,
    resolve_aliases,
)
from podcast_assets.extraction.gazetteer import Gazetteer
from podcast_assets.extraction.name_spans import whole_name, with_titled_neighbours
from podcast_assets.extraction.people import EpisodePeople, people_rows, show_said
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
# A name the episode's metadata gives (a person of it, its show) where the text says it and
# no other rule found it.
SOURCE_METADATA_NAME = "metadata_name"
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
        span = whole_name(span, KEEP_LABELS)  # "Lotus" + "1-2-3", "Lotus 1" + ", 2, 3"
        span = with_titled_neighbours(span)  # "JavaScript" + "Jabber"
        if gazetteer.is_ignored(span.text):
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
    """The span without leading discourse words or trailing function words (or a pronoun that
    opens the next sentence), or None if what remains is not a name ("So I" -> None, "the
    Neuron SDK" -> "Neuron SDK", "Z. You" -> "Z.")."""
    start, end = span.start, span.end
    doc = span.doc
    while start < end and (
        doc[start].is_space or doc[start].is_punct or is_leading_word(doc[start].text)
    ):
        start += 1
    while end > start and (
        doc[end - 1].is_space
        or doc[end - 1].is_punct
        or is_trailing_word(doc[end - 1].text)
        or _opens_next_sentence(doc, end - 1, start)
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


def _opens_next_sentence(doc: Doc, i: int, start: int) -> bool:
    """A pronoun after a full stop ("Z. You're"): the tokenizer keeps "Z." whole, so the
    sentence boundary is not marked, and the model reads initial + word as a name."""
    token = doc[i]
    if not is_pronoun(token.text) or i <= start:
        return False
    return token.is_sent_start or doc[i - 1].text.endswith(".")


def finish_mentions(
    episode_id: str,
    drafts: list[MentionDraft],
    text: str,
    segments: list[Segment],
    segment_starts: list[int],
    gazetteer: Gazetteer,
    language: str | None = None,
    people: EpisodePeople | None = None,
    show: str | None = None,
) -> list[dict[str, Any]]:
    """Episode-level pass: drop names fused to a discourse word of the episode's language,
    merge spellings of one name (a person of the episode's spelling wins), link lone first
    names, set frequency confidence, build rows, and add one row per person of the episode
    with their role on all of their rows."""
    people = people or EpisodePeople((), segments)
    drafts[:] = [
        d
        for d in drafts
        if d.source not in FOUND_BY_SHAPE or not is_fused_discourse(d.entity, language or "en")
    ]
    _label_like_their_names(drafts)
    _merge_spellings(drafts, gazetteer)
    _link_first_names(drafts, gazetteer, people)
    _add_metadata_names(drafts, text, people, show)
    frequency = Counter(d.entity for d in drafts if d.source in FOUND_BY_SHAPE)
    roles = people.roles()
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
                role=roles.get(alias_key(d.entity)) if d.label == "PERSON" else None,
            )
        )
    return [*rows, *people_rows(episode_id, people, gazetteer)]


def _label_like_their_names(drafts: list[MentionDraft]) -> None:
    """One name, one label in an episode: the small model labels one name differently from
    sentence to sentence ("Swift" as PRODUCT, PERSON, LOC and FAC), so each of its names takes
    the label it gives that name most (the first on a tie). Names found by their capitals have
    no label: they take that label too, and a full name whose first word the model calls a
    PERSON there is a PERSON ("Safia Abdalla" beside "Safia")."""
    votes: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for d in drafts:
        if d.source == SOURCE_SPACY and d.label:
            votes[d.entity][d.label] += 1
    persons = {e for e, labels in votes.items() if " " not in e and "PERSON" in labels}
    for d in drafts:
        if d.source == SOURCE_SPACY and len(votes[d.entity]) > 1:
            d.label = votes[d.entity].most_common(1)[0][0]
        if d.source != SOURCE_PROPER_NOUN or d.label is not None:
            continue
        if votes[d.entity]:
            d.label = votes[d.entity].most_common(1)[0][0]
        elif " " in d.entity and d.entity.split(" ", 1)[0] in persons:
            d.label = "PERSON"


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
    drafts: list[MentionDraft], gazetteer: Gazetteer, people: EpisodePeople
) -> None:
    """ "Ron" -> "Ron Diamant". A lone name found by shape links to the one person of the
    episode (speaker or listed) whose first name it is, whatever label the model gave it;
    else a lone PERSON links to the one full PERSON name said in the episode that starts
    with it. One-word speaker labels link to said full names the same way. A full name said
    as a person of the episode is spelled ("Yishai Berry" for "Yishai Beeri") is that person."""
    said: defaultdict[str, set[str]] = defaultdict(set)
    for d in drafts:
        if d.label == "PERSON" and " " in d.entity:
            said[alias_key(d.entity.split(" ", 1)[0])].add(d.entity)
    people.link_lone_names(said)
    by_name = gazetteer.by_name
    for d in drafts:
        if d.source not in FOUND_BY_SHAPE:
            continue
        if " " in d.entity:
            if d.label in (None, "PERSON") and (person := people.spelled_like(d.entity)):
                d.entity, d.label = person, "PERSON"
            continue
        candidates = people.full_names_with_first(d.entity)
        if not candidates and d.label == "PERSON":
            candidates = said.get(alias_key(d.entity), set())
        if len(candidates) == 1:
            d.entity, d.label = next(iter(candidates)), "PERSON"
            d.confidence = CONFIDENCE_LINKED
            entry = by_name.get(d.entity)
            if entry is not None:
                d.category = entry.category


def _add_metadata_names(
    drafts: list[MentionDraft], text: str, people: EpisodePeople, show: str | None
) -> None:
    """The episode's people and its show where the text names them and nothing else was
    found there: the model misses names it has no context for ("Thanks, Priya.", "the past
    of Go Time")."""
    covered = {i for d in drafts for i in range(d.start, d.end)}
    found = [(start, end, name, "PERSON") for start, end, name in people.said(text)]
    found += [(start, end, name, "WORK_OF_ART") for start, end, name in show_said(text, show)]
    for start, end, name, label in found:
        if not covered.isdisjoint(range(start, end)):
            continue
        covered.update(range(start, end))
        surface = text[start:end]
        confidence = CONFIDENCE_EXACT if surface == name else CONFIDENCE_LINKED
        drafts.append(
            MentionDraft(name, surface, label, None, start, end, SOURCE_METADATA_NAME, confidence)
        )


def _seconds(value: float | None) -> float | None:
    return None if value is None else float(value)
