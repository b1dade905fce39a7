"""The episode's own writing as evidence against a model's name: a word the episode writes in
lower case more often than capitalised is an ordinary word, capitalised where it opens a
sentence or a caption line, or by a transcriber's habit.

The small models tag capitalised words as names wherever a sentence or a line starts with one
("Creating good audio") or a transcriber capitalised one ("Relevant, Time bound"). A name is
written the same way nearly every time; an ordinary word mostly in lower case. So a one-word
model name is dropped when the episode writes it in lower case more often than capitalised
(a majority, because a name is sometimes read out in lower case: "odsc.com slash boston"),
and, when the model calls it a person ("Will", "Mark"), only if no capitalised occurrence is
mid-sentence. A longer model name opening a sentence with such a word ("Rugby Nick", where
"rugby" is said later) loses that word when the rest is a name the episode knows.

People of the episode are never touched: their names come from its labels and metadata. Nor
are languages that capitalise every noun: there a capital says noun, not name, and the
lower-case word is often another word ("die Grünen", the party; "grünen", green).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from podcast_assets.extraction.aliases import alias_key
from podcast_assets.extraction.mentions import SOURCE_SPACY, MentionDraft
from podcast_assets.extraction.name_spans import NOUNS_CAPITALISED, SENTENCE_END
from podcast_assets.extraction.people import EpisodePeople
from podcast_assets.language import base_language

_WORD = re.compile(r"[^\W\d_]+")
# What may come before a word that opens a sentence, a line or a quotation.
_OPENERS = SENTENCE_END | {"\n"}


class CaseCounts:
    """How often the episode writes each of some words: capitalised opening a sentence,
    capitalised mid-sentence, and in lower case (one scan of the text)."""

    def __init__(self, text: str, words: Iterable[str]) -> None:
        wanted = {w.lower() for w in words}
        self.mid: Counter[str] = Counter()
        self.capitalised: Counter[str] = Counter()
        self.lower: Counter[str] = Counter()
        if not wanted:
            return
        for match in _WORD.finditer(text):
            word = match.group()
            if (low := word.lower()) not in wanted:
                continue
            if word == low:
                self.lower[low] += 1
                continue
            self.capitalised[word] += 1
            if not opens_sentence(text, match.start()):
                self.mid[word] += 1

    def is_ordinary(self, word: str, person: bool) -> bool:
        """Written in lower case more often than capitalised; for a person's name, also
        never capitalised mid-sentence."""
        if self.lower[word.lower()] <= self.capitalised[word]:
            return False
        return not person or self.mid[word] == 0


def opens_sentence(text: str, start: int) -> bool:
    """Whether the word at `start` opens the text, a line, a sentence or a quotation."""
    i = start - 1
    while i >= 0 and text[i] in " \t":
        i -= 1
    return i < 0 or text[i] in _OPENERS


def drop_ordinary_words(
    drafts: list[MentionDraft], text: str, people: EpisodePeople, language: str | None = None
) -> list[MentionDraft]:
    """Model names whose (first) word the episode writes as an ordinary word: one-word names
    dropped, a leading word stripped from a longer name the episode knows without it."""
    if base_language(language) in NOUNS_CAPITALISED:
        return drafts
    personal = {alias_key(w) for p in people.people for w in (p.name, p.name.split(" ", 1)[0])}
    candidates = [
        d for d in drafts if d.source == SOURCE_SPACY and _is_titled(d.entity.split(" ", 1)[0])
    ]
    if not candidates:
        return drafts
    counts = CaseCounts(text, {d.entity.split(" ", 1)[0] for d in candidates})
    # Names of the episode, and first names of its people ("Nick" of "Nick Taylor").
    names = [(d.entity, d.label) for d in drafts] + [(p.name, "PERSON") for p in people.people]
    known = {n for n, _ in names} | {n.split(" ", 1)[0] for n, label in names if label == "PERSON"}
    dropped: set[int] = set()
    for d in candidates:
        first, _, rest = d.entity.partition(" ")
        if alias_key(d.entity) in personal or alias_key(first) in personal:
            continue
        if not rest:
            if counts.is_ordinary(first, d.label == "PERSON"):
                dropped.add(id(d))
        elif rest in known and counts.is_ordinary(first, True) and opens_sentence(text, d.start):
            cut = len(d.surface) - len(d.surface.lstrip()[len(first) :].lstrip())
            d.entity, d.surface, d.start = rest, d.surface[cut:], d.start + cut
    return [d for d in drafts if id(d) not in dropped]


def _is_titled(word: str) -> bool:
    """ "Creating", not "NASA" or "iPhone": only a capital that could be the sentence's."""
    return len(word) > 1 and word[0].isupper() and word[1:].islower()
