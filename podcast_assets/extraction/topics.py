"""Topics: keyword matches against the versioned taxonomy (`data/taxonomy.yaml`).

Keywords match whole tokens, so "said" never counts for "ai", and multi-word keywords match as
phrases. Two PhraseMatchers run side by side: one on LOWER (the surface, any case) and one on
LEMMA (inflections: "GPUs" for "gpu", "neural network" for "neural networks"). Keyword lemmas
are computed as nouns, because keywords are nouns: run in isolation the tagger would read
"training" as a verb and the LEMMA pattern would then match "trained".
"""

from __future__ import annotations

import os
import re
import weakref
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from podcast_assets.extraction.rows import make_row
from podcast_assets.schema import TOPICS

SOURCE = "taxonomy"
# One keyword hit is too weak to say an episode discusses a topic; the analyser never reports
# a topic with fewer than 2 mentions either.
MIN_MENTIONS = 2
# A plural acronym ("LLMs", "GPUs") as a whole word; found in the text (one C-level scan)
# rather than by testing every token in Python.
_PLURAL_ACRONYM = re.compile(r"(?<![A-Za-z0-9])[A-Z][A-Za-z0-9]*[A-Z0-9]s(?![A-Za-z0-9])")


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    keywords: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TopicHit:
    """One keyword match: token range in its doc, topic index and keyword."""

    start: int
    end: int
    topic: str
    keyword: str


def default_taxonomy_path() -> Path:
    return Path(str(resources.files("podcast_assets").joinpath("data", "taxonomy.yaml")))


def load_taxonomy(path: str | os.PathLike[str] | None = None) -> tuple[Topic, ...]:
    """Parse and validate a taxonomy file (the packaged one by default); cached per path."""
    return _load_cached(str(Path(path) if path else default_taxonomy_path()))


@lru_cache(maxsize=8)
def _load_cached(path: str) -> tuple[Topic, ...]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    topics = []
    for raw in data.get("topics") or []:
        name = str(raw.get("topic") or "").strip()
        keywords = tuple(
            str(k).strip().lower() for k in raw.get("keywords") or [] if str(k).strip()
        )
        if not name or not keywords:
            raise ValueError(f"{path}: topic {raw!r} needs a name and keywords")
        topics.append(Topic(name, keywords))
    if len({t.name for t in topics}) != len(topics):
        raise ValueError(f"{path}: duplicate topic names")
    return tuple(topics)


class TopicMatcher:
    """Finds taxonomy keywords in docs made by `nlp`."""

    def __init__(self, nlp: Language, taxonomy: Iterable[Topic]) -> None:
        self.taxonomy = tuple(taxonomy)
        self.order = {t.name: i for i, t in enumerate(self.taxonomy)}
        self._keys: dict[int, tuple[str, str]] = {}
        self._lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        self._lemma: PhraseMatcher | None = None
        lemmatizer = nlp.get_pipe("lemmatizer") if "lemmatizer" in nlp.pipe_names else None
        if lemmatizer is not None:
            self._lemma = PhraseMatcher(nlp.vocab, attr="LEMMA")
        for topic in self.taxonomy:
            for keyword in topic.keywords:
                key = f"{topic.name}\x1f{keyword}"
                self._keys[nlp.vocab.strings.add(key)] = (topic.name, keyword)
                self._lower.add(key, [nlp.make_doc(keyword)])
                if self._lemma is not None and lemmatizer is not None:
                    pattern = nlp.make_doc(keyword)
                    for token in pattern:
                        token.pos_ = "NOUN"
                    self._lemma.add(key, [lemmatizer(pattern)])

    def __call__(self, doc: Doc) -> list[TopicHit]:
        """Matches, one per (token range, topic); overlapping keywords of one topic count once."""
        matches = set(self._lower(doc))
        if self._lemma is not None and doc.has_annotation("LEMMA"):
            # Plural acronyms tagged PROPN keep their surface as lemma ("LLMs"); the rule
            # lemmatizer would give a NOUN "llm". The doc is ours and read-only after this.
            for found in _PLURAL_ACRONYM.finditer(doc.text):
                span = doc.char_span(found.start(), found.end())
                if span is not None and len(span) == 1:
                    span[0].lemma_ = found.group()[:-1].lower()
            matches |= set(self._lemma(doc))
        by_topic: dict[str, list[TopicHit]] = {}
        for match_id, start, end in sorted(matches, key=lambda m: (m[1], -m[2])):
            topic, keyword = self._keys[match_id]
            hits = by_topic.setdefault(topic, [])
            if hits and start < hits[-1].end:
                continue  # overlaps a longer (earlier-starting) match of the same topic
            hits.append(TopicHit(start, end, topic, keyword))
        return sorted((h for hits in by_topic.values() for h in hits), key=lambda h: h.start)


_matchers: weakref.WeakKeyDictionary[Language, TopicMatcher] = weakref.WeakKeyDictionary()


def topic_matcher(nlp: Language) -> TopicMatcher:
    """The matcher for the packaged taxonomy, built once per pipeline."""
    if nlp not in _matchers:
        _matchers[nlp] = TopicMatcher(nlp, load_taxonomy())
    return _matchers[nlp]


def topic_rows(
    episode_id: str, counts: Counter[tuple[str, str]], order: dict[str, int]
) -> list[dict[str, Any]]:
    """Rows for topics with at least MIN_MENTIONS keyword matches, most mentioned first.

    `counts` maps (topic, keyword) to matches; `keywords` lists the matched keywords, most
    frequent first; prominence = min(1, mentions / 10) as the analyser computes it.
    """
    per_topic: dict[str, Counter[str]] = {}
    for (topic, keyword), n in counts.items():
        per_topic.setdefault(topic, Counter())[keyword] += n
    ranked = sorted(
        per_topic.items(), key=lambda kv: (-sum(kv[1].values()), order.get(kv[0], len(order)))
    )
    rows = []
    for topic, keywords in ranked:
        mentions = sum(keywords.values())
        if mentions < MIN_MENTIONS:
            continue
        rows.append(
            make_row(
                TOPICS,
                episode_id=episode_id,
                topic=topic,
                mentions=int(mentions),
                prominence=float(min(1.0, mentions / 10)),
                keywords=[k for k, _ in sorted(keywords.items(), key=lambda kv: -kv[1])],
                source=SOURCE,
            )
        )
    return rows
