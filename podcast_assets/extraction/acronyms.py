"""Acronyms spelled out where they are said: the long form is one name, whole.

Speakers define their acronyms ("OKRs, Objectives and Key Results", "Key Performance
Indicators (KPIs)"), and the small model tags pieces of the long form ("Objectives",
"Key Results"), none of which is a name on its own. Where the capitalised words after or
before an acronym start with its letters, in order, they are one name: it replaces the
pieces the model or the capitals rule found inside it, and stands aside for a gazetteer match
(as link texts do, see `proper_nouns.with_link_anchors`).
"""

from __future__ import annotations

import re

from podcast_assets.extraction.mentions import FOUND_BY_SHAPE, MentionDraft
from podcast_assets.extraction.proper_nouns import add_whole_name

_ACRONYM = r"[A-Z][A-Z&]{1,5}s?"
_WORD = r"[A-Z][\w'\u2019-]*"
_JOINER = r"(?:and|of|for|the|to|in|on|&)"
_LONG = rf"{_WORD}(?:[ \t]+(?:{_JOINER}[ \t]+)?{_WORD}){{1,7}}"
# "OKRs, Objectives and Key Results" / "KPIs (Key Performance Indicators)"
_AFTER = re.compile(rf"(?<![\w-])(?P<acronym>{_ACRONYM})(?:,[ \t]+|[ \t]+\()(?P<long>{_LONG})")
# "Key Performance Indicators (KPIs)" / "Amazon Web Services, AWS"
_BEFORE = re.compile(rf"(?P<long>{_LONG})(?:,[ \t]+|[ \t]+\()(?P<acronym>{_ACRONYM})(?![\w-])")
_CAPITALISED = re.compile(_WORD)


def whole_expansions(drafts: list[MentionDraft], text: str) -> list[MentionDraft]:
    """The drafts with each spelled-out acronym's long form as one name (see module doc)."""
    spans = sorted(set(_long_forms(text)))
    if not spans:
        return drafts
    kept = list(drafts)
    for start, end in spans:
        inside = [d for d in kept if start <= d.start and d.end <= end]
        if any(d.source not in FOUND_BY_SHAPE and start < d.end and d.start < end for d in kept):
            continue
        if not inside:  # nothing was found there: the long form is no name of the episode
            continue
        kept = [d for d in kept if d not in inside]
        add_whole_name(kept, text, start, end)
    return kept


def _long_forms(text: str) -> list[tuple[int, int]]:
    """(start, end) of every long form that spells the acronym beside it."""
    found = []
    for pattern, after in ((_AFTER, True), (_BEFORE, False)):
        for match in pattern.finditer(text):
            letters = match["acronym"].removesuffix("s").replace("&", "").lower()
            words = list(_CAPITALISED.finditer(match["long"]))
            if len(words) < len(letters):
                continue
            chosen = words[: len(letters)] if after else words[-len(letters) :]
            if "".join(w.group()[0].lower() for w in chosen) != letters:
                continue
            base = match.start("long")
            found.append((base + chosen[0].start(), base + chosen[-1].end()))
    return found
