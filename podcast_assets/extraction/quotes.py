"""Notable quotes from transcripts: whole sentences scored by an explainable heuristic.

Score = 3 (base)
  + 1 per taxonomy topic the sentence hits (at most 2)
  + 1 per distinct named entity (at most 2)
  + 1 for a number or quantity (claims with figures are quotable)
  + 1 for a claim word ("most", "fundamentally", "the key", ...)
  + 1 for first-person insight ("I think", "what I love", "we found", ...)
  - 1 or 2 for filler ("um", "you know", "sort of" above 8% / 15% of the words)
  - 1 for a question (the answer is the quote)
  - 3 for host boilerplate ("welcome to", "I'm your host", "show notes", ...)
clamped to 1-10. `impact_reason` lists the terms that applied. Sentences in an ad or sponsor
read (a marker such as "brought to you by", "discount" or "learn more at" within
AD_WINDOW sentences) are never selected.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from podcast_assets.extraction.mentions import MentionDraft
from podcast_assets.extraction.rows import make_row
from podcast_assets.extraction.surfaces import normalize_space
from podcast_assets.models import Segment
from podcast_assets.schema import QUOTES

SOURCE = "heuristic"
MIN_CHARS = 80
MAX_CHARS = 400
TOP_N = 15
# Quotes this similar (rapidfuzz token_sort_ratio) to a better one are near-duplicates.
DUPLICATE_SIMILARITY = 80.0
AD_WINDOW = 3
BASE_SCORE = 3

_CLAIM = re.compile(
    r"\b(most|best|biggest|largest|fastest|first|only|never|always|every|key|crucial|critical|"
    r"fundamental(ly)?|unambiguously|clearly|definitely|the reason|the trick|the game|"
    r"the (big|main|core) (difference|problem|challenge|idea))\b",
    re.IGNORECASE,
)
_INSIGHT = re.compile(
    r"\b(i think|i believe|i find|i love|i feel|i see|i expect|i learned|i realized|we found|"
    r"we see|we believe|we learned|we realized|what i love|in my experience|my view|"
    r"the lesson)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"\d|\b(hundred|thousand|million|billion|trillion|percent|twice|double|half)\b",
    re.IGNORECASE,
)
_FILLER = re.compile(
    r"\b(um+|uh+|like|you know|yeah|right|sort of|kind of|i mean|basically|totally|okay)\b",
    re.IGNORECASE,
)
_BOILERPLATE = re.compile(
    r"welcome (back )?to|i'm your host|i am your host|this is your host|thanks for joining|"
    r"this is episode|episode number|you're listening to|show notes|subscribe|"
    r"review the episode|share this episode|follow (me|us) on|thank you so much|"
    r"before i let you go|how can we follow you|let's go|all right, you ready",
    re.IGNORECASE,
)
_AD = re.compile(
    r"brought to you by|sponsor|promo code|discount|free trial|\d+-day trial|learn more at|"
    r"head to|\.com\b|dot com|excited to announce|look no further|sign up|click on the link",
    re.IGNORECASE,
)


def is_ad(text: str) -> bool:
    """True for a sentence of an ad or sponsor read."""
    return bool(_AD.search(text))


@dataclass(frozen=True, slots=True)
class Score:
    value: int  # 1-10
    raw: int  # before clamping, to rank ties
    reason: str


def score_sentence(text: str, topics: Sequence[str], entities: Sequence[str]) -> Score:
    """The heuristic score of one sentence (see the module docstring)."""
    raw = BASE_SCORE
    reasons: list[str] = []
    if topics:
        points = min(2, len(topics))
        raw += points
        reasons.append(f"topics {', '.join(topics)} +{points}")
    if entities:
        points = min(2, len(entities))
        raw += points
        reasons.append(f"entities {', '.join(entities[:3])} +{points}")
    if _NUMBER.search(text):
        raw += 1
        reasons.append("figures +1")
    if _CLAIM.search(text):
        raw += 1
        reasons.append("claim +1")
    if _INSIGHT.search(text):
        raw += 1
        reasons.append("first-person insight +1")
    words = max(1, len(text.split()))
    filler = len(_FILLER.findall(text)) / words
    if filler > 0.15:
        raw -= 2
        reasons.append("filler -2")
    elif filler > 0.08:
        raw -= 1
        reasons.append("filler -1")
    if text.rstrip().endswith("?"):
        raw -= 1
        reasons.append("question -1")
    if _BOILERPLATE.search(text):
        raw -= 3
        reasons.append("host boilerplate -3")
    return Score(max(1, min(10, raw)), raw, "; ".join(reasons) or "base score")


@dataclass(slots=True)
class Sentence:
    """A sentence of the transcript (offsets into it) and what it hits."""

    start: int
    end: int
    text: str  # whitespace-normalised
    topics: tuple[str, ...] = ()
    mentions: tuple[MentionDraft, ...] = ()  # read once the episode's mentions are linked
    ad: bool = False

    @property
    def entities(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.entity for m in self.mentions))


def select_quotes(
    episode_id: str,
    sentences: list[Sentence],
    segments: list[Segment],
    segment_starts: list[int],
    top_n: int = TOP_N,
) -> list[dict[str, Any]]:
    """The top-N scored sentences of an episode, without ads or near-duplicates, in order of
    score (ties: higher raw score, then earlier)."""
    excluded = _ad_zone(sentences)
    scored = []
    for i, s in enumerate(sentences):
        if i in excluded or not MIN_CHARS <= len(s.text) <= MAX_CHARS:
            continue
        scored.append((score_sentence(s.text, s.topics, s.entities), s))
    scored.sort(key=lambda pair: (-pair[0].value, -pair[0].raw, pair[1].start))
    chosen: list[tuple[Score, Sentence]] = []
    for score, s in scored:
        if len(chosen) >= top_n:
            break
        if any(fuzz.token_sort_ratio(s.text, c.text) >= DUPLICATE_SIMILARITY for _, c in chosen):
            continue
        chosen.append((score, s))
    rows = []
    for score, s in chosen:
        first = _segment_at(segments, segment_starts, s.start)
        last = _segment_at(segments, segment_starts, s.end - 1)
        rows.append(
            make_row(
                QUOTES,
                episode_id=episode_id,
                text=s.text,
                relevance_score=int(score.value),
                start_seconds=_float(first.start_seconds) if first else None,
                end_seconds=_float(last.end_seconds) if last else None,
                speaker=first.speaker if first else None,
                topics=list(s.topics),
                source=SOURCE,
                impact_reason=score.reason,
                char_start=int(s.start),
            )
        )
    return rows


def sentence_record(text: str, start: int, end: int) -> Sentence | None:
    """Trim a sentence's text and offsets to its non-space content."""
    lead = len(text) - len(text.lstrip())
    trail = len(text) - len(text.rstrip())
    start, end = start + lead, end - trail
    if start >= end:
        return None
    clean = normalize_space(text)
    return Sentence(start, end, clean, ad=is_ad(clean))


def _ad_zone(sentences: list[Sentence]) -> set[int]:
    zone: set[int] = set()
    for i, s in enumerate(sentences):
        if s.ad:
            zone.update(range(max(0, i - AD_WINDOW), min(len(sentences), i + AD_WINDOW + 1)))
    return zone


def _segment_at(segments: list[Segment], starts: list[int], offset: int) -> Segment | None:
    if not segments:
        return None
    return segments[max(0, bisect.bisect_right(starts, offset) - 1)]


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)
