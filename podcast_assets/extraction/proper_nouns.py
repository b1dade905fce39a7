"""Names the statistical model misses, found by how they are written: capitalised in the
middle of a sentence, every time the episode says them.

The small models miss most product and project names of the shows we read ("TypeScript",
"Preact", "Forem"), and a language without a pipeline has no model at all. In languages that
capitalise names and not other nouns, a word capitalised mid-sentence is a name; one that the
same episode also writes in lower case is not ("Okay", "Key"), and one said once is left out
(a one-off capital is as often a transcriber's habit as a name), unless it is camel case
("pgMustard"), which no one types by habit, even at the start of a sentence, a word that is
rare in the language's word-frequency list ("RDS", "Brex"): habit capitalises common words
("Heights", "Relevant"), and a rare word capitalised mid-sentence is a name, or a run of two or
more capitalised words ("Ember Labs"): habit capitalises a word, not the next one too.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.tokens import Doc

from podcast_assets.extraction.gazetteer import Gazetteer
from podcast_assets.extraction.keyphrases import wordfreq_language, zipf
from podcast_assets.extraction.mentions import FOUND_BY_SHAPE, MentionDraft
from podcast_assets.extraction.mentions import SOURCE_PROPER_NOUN as SOURCE
from podcast_assets.extraction.name_spans import (
    NAME_WORD,
    NOUNS_CAPITALISED,
    NUMBER_LABELS,
    is_name_word,
    opens_sentence,
    whole_name,
)
from podcast_assets.extraction.surfaces import is_junk, normalize_space, whole_words

MIN_OCCURRENCES = 2
# A run of this many capitalised words mid-sentence is a name even when said once.
MIN_TITLED_RUN = 2
MAX_WORDS = 4
# Below this Zipf frequency (3: once in a million words) a word is rare enough that one
# mid-sentence capital makes it a name: "RDS" 2.8, "Brex" 1.4; not "Heights" 4.1, "Tied" 4.5.
RARE_ZIPF = 3.0
_PLURAL_ACRONYM = re.compile(r"[A-Z]{2,}s")
_LETTERS = re.compile(r"[^\W\d_]")
# A Markdown link, `[JavaScript Jabber](https://...)`: show-notes transcripts link what they name.
_LINK = re.compile(r"\[(?P<anchor>[^\[\]\n]{2,80})\]\((?:https?://|www\.)[^()\s]*\)")
MAX_ANCHOR_WORDS = 6


def proper_noun_drafts(
    doc: Doc, offset: int, gazetteer: Gazetteer, taken: Sequence[MentionDraft] = ()
) -> list[MentionDraft]:
    """Runs of mid-sentence capitalised words outside the doc's entities (any label, so
    dates and numbers stay out too) and outside the names `taken` from it, which may reach
    past an entity ("Medium-Range" + "Weather Forecasts"); `offset` is the doc's start in the
    transcript."""
    if doc.lang_ in NOUNS_CAPITALISED:
        return []
    covered = {i for ent in doc.ents for i in range(ent.start, ent.end)}
    drafts: list[MentionDraft] = []
    i, n = 0, len(doc)
    while i < n:
        if i in covered or not is_name_word(doc[i]):
            i += 1
            continue
        j = i + 1
        while (
            j < n
            and j - i < MAX_WORDS
            and j not in covered
            and doc[j - 1].whitespace_
            and is_name_word(doc[j])
        ):
            j += 1
        if opens_sentence(doc, i) and not any(is_camel_case(t.text) for t in doc[i:j]):
            i = j  # capitalised anyway: the whole run says nothing
            continue
        span = whole_name(doc[i:j], NUMBER_LABELS)  # "Commodore 64", "Pac-Man"
        j = max(j, span.end)
        name = normalize_space(span.text)
        start, end = offset + span.start_char, offset + span.end_char
        overlaps = any(start < t.end and t.start < end for t in taken)
        if not overlaps and not gazetteer.is_ignored(name) and not is_junk(name):
            drafts.append(MentionDraft(name, span.text, None, None, start, end, SOURCE, None))
        i = j
    return drafts


def keep_consistent(
    drafts: list[MentionDraft], text: str, language: str | None = None
) -> list[MentionDraft]:
    """Drop capitalised names written fewer than MIN_OCCURRENCES times in the episode (as
    written, sentence starts included) unless camel case, rare in `language` or a run of
    MIN_TITLED_RUN capitalised words, and names also written in lower case there."""
    lang = wordfreq_language(language)
    verdicts: dict[str, bool] = {}
    kept: list[MentionDraft] = []
    for d in drafts:
        if d.source != SOURCE:
            kept.append(d)
            continue
        if d.entity not in verdicts:
            verdicts[d.entity] = _written_like_a_name(d.entity, text, lang)
        if verdicts[d.entity]:
            kept.append(d)
    return kept


def with_link_anchors(drafts: list[MentionDraft], text: str) -> list[MentionDraft]:
    """Link texts written as names ("[JavaScript Jabber](https://...)") are names, whole:
    they replace the names found inside them, by the model, the capitals rule or the gazetteer
    ("JavaScript"), and stand aside for a name found that is the whole link text."""
    anchors = [m.span("anchor") for m in _LINK.finditer(text) if _titled(m.group("anchor"))]
    if not anchors:
        return drafts
    kept = list(drafts)
    for start, end in anchors:
        inside = [d for d in kept if start <= d.start and d.end <= end]
        if any(d.source not in FOUND_BY_SHAPE and (d.start, d.end) == (start, end) for d in inside):
            continue
        kept = [d for d in kept if d not in inside]
        add_whole_name(kept, text, start, end)
    return kept


def add_whole_name(kept: list[MentionDraft], text: str, start: int, end: int) -> None:
    """`text[start:end]` as one name found by its shape, unless a name kept overlaps it."""
    if not any(start < d.end and d.start < end for d in kept):
        name = normalize_space(text[start:end])
        kept.append(MentionDraft(name, text[start:end], None, None, start, end, SOURCE, None))


def _titled(anchor: str) -> bool:
    """A few words, each content word capitalised: a title, not a phrase ("click here")."""
    words = anchor.split()
    content = [w for w in words if w.casefold() not in STOP_WORDS]
    return (
        0 < len(words) <= MAX_ANCHOR_WORDS
        and bool(content)
        and all(w[0].isupper() or w[0].isdigit() for w in content)
        and not is_junk(normalize_space(anchor))
    )


def _written_like_a_name(name: str, text: str, lang: str | None) -> bool:
    words = name.split()
    once = (
        any(is_camel_case(w) for w in words)
        or (lang is not None and is_rare(words, lang))
        or sum(w[:1].isupper() for w in words) >= MIN_TITLED_RUN
    )
    needed = 1 if once else MIN_OCCURRENCES
    if len(re.findall(whole_words(name), text)) < needed:
        return False
    return re.search(whole_words(name.lower()), text) is None


def is_rare(words: list[str], lang: str) -> bool:
    """Some word of the name is rare in the language (see RARE_ZIPF), and every word is
    written as names are: not markup glued to a word, not a plural acronym ("KPIs", "URLs":
    names are not plural), not a code with one letter ("N1")."""
    if not all(NAME_WORD.fullmatch(w) and not _PLURAL_ACRONYM.fullmatch(w) for w in words):
        return False
    return any(zipf(w, lang) < RARE_ZIPF for w in words if len(_LETTERS.findall(w)) > 1)


def is_camel_case(word: str) -> bool:
    """A capital after a lower-case letter ("pgMustard", "LinkedIn", "iPhone"): typed on
    purpose, so a name even when written once or at the start of a sentence."""
    return any(a.islower() and b.isupper() for a, b in itertools.pairwise(word))
