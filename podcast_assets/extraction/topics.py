"""Topics: keyword matches against the versioned taxonomy (`data/taxonomy.yaml`).

The taxonomy's top level is the Apple Podcasts category list (what every feed declares in
`itunes:category`); its topics sit under a category. Keywords match whole tokens, any case, and
multi-word keywords match as phrases. Inflections come from forms expanded when the taxonomy
loads (a keyword's last word also matches its regular English plural or singular: "gpu" counts
"GPUs", "neural networks" counts "neural network"), so the pipeline needs no tagger or
lemmatizer. A term written with a capital is a name that is an everyday word in lower case
("Go", "Rust", "Swift"): it matches only as written, and not where a capital says nothing, when
it opens a sentence or line ("Go and watch it") or is part of a longer capitalised name
("Taylor Swift", "Go Time"). A topic's `context` words are ambiguous ("hosting", "kernel",
"model"): they count only in an episode where a plain keyword of the same topic matched too, so
one ambiguous word never makes a topic. The taxonomy is English: other languages get no
taxonomy topics.

The show's own categories (`shows.categories`, its feed's `itunes:category`) are evidence too:
a topic of a category the show declares ("Science", or "Leisure > Home & Garden", which declares
Leisure and its topic "home & garden") is reported from one counted match instead of two. The
text must still say one of its plain keywords: a category alone never makes a topic.
"""

from __future__ import annotations

import os
import weakref
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

import yaml
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc

from podcast_assets.extraction.name_spans import is_name_word, opens_sentence
from podcast_assets.extraction.rows import make_row
from podcast_assets.schema import TOPICS

SOURCE = "taxonomy"
# One keyword hit is too weak to say an episode discusses a topic; the analyser never reports
# a topic with fewer than 2 mentions either. A topic the show's categories declare needs one.
MIN_MENTIONS = 2
MIN_MENTIONS_DECLARED = 1
# A full episode says a few words of many subjects in passing ("car", "dealership" in a show
# about databases): a topic also needs this share of the episode's main topic's mentions,
# unless the show declares its category. Short episodes, whose main topic has under 20
# mentions, are left to MIN_MENTIONS.
MIN_SHARE_OF_MAIN = 0.1


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    keywords: tuple[str, ...]
    category: str | None = None
    context: tuple[str, ...] = ()


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
    resolved = Path(path) if path else default_taxonomy_path()
    return _load_cached(str(resolved), resolved.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime_ns: int) -> tuple[Topic, ...]:
    # libyaml's safe loader when PyYAML has it: 5x faster on the 127-topic taxonomy.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=loader) or {}
    groups: list[tuple[str | None, Any]] = [(None, data.get("topics") or [])]  # version 1
    for raw_category in data.get("categories") or []:
        name = str(raw_category.get("category") or "").strip()
        if not name:
            raise ValueError(f"{path}: category {raw_category!r} needs a name")
        groups.append((name, raw_category.get("topics") or []))
    topics = []
    for category, raw_topics in groups:
        for raw in raw_topics:
            name = str(raw.get("topic") or "").strip()
            keywords, context = _terms(raw.get("keywords")), _terms(raw.get("context"))
            if not name or not keywords:
                raise ValueError(f"{path}: topic {raw!r} needs a name and keywords")
            if set(keywords) & set(context):
                raise ValueError(f"{path}: topic {name!r} lists a word as keyword and context")
            topics.append(Topic(name, keywords, category, context))
    if len({t.name for t in topics}) != len(topics):
        raise ValueError(f"{path}: duplicate topic names")
    return tuple(topics)


def topic_categories(path: str | os.PathLike[str] | None = None) -> Mapping[str, str | None]:
    """Topic name -> its category in the taxonomy (the packaged one by default); built once
    per loaded taxonomy, read-only because it is shared."""
    return _categories(load_taxonomy(path))


@lru_cache(maxsize=8)
def _categories(taxonomy: tuple[Topic, ...]) -> Mapping[str, str | None]:
    return MappingProxyType({t.name: t.category for t in taxonomy})


def _terms(values: Any) -> tuple[str, ...]:
    """Lower-case terms, and names ("Go"), which keep their capitals: see `is_name`."""
    terms = (str(v).strip() for v in values or [])
    return tuple(dict.fromkeys(t if is_name(t) else t.lower() for t in terms if t))


def is_name(term: str) -> bool:
    """A term written with a capital in the taxonomy: matched as written, and only where the
    capital is its own (`_said_as_name`)."""
    return term != term.lower()


_SIBILANT = ("s", "x", "z", "ch", "sh")


def inflected_forms(keyword: str) -> tuple[str, ...]:
    """The keyword and its last word's regular English plural (or singular, for a keyword
    written in the plural): exact string forms, matched on LOWER like the keyword itself."""
    head, _, last = keyword.rpartition(" ")
    forms = {last}
    plural = len(last) > 3 and last.endswith("s") and not last.endswith(("ss", "us", "is"))
    if plural:
        if last.endswith("ies"):
            forms.add(last[:-3] + "y")
        elif last.endswith(tuple(x + "es" for x in _SIBILANT)):
            forms.add(last[:-2])
        else:
            forms.add(last[:-1])
    elif last.endswith("is") and len(last) > 4:  # analysis -> analyses
        forms.add(last[:-2] + "es")
    elif last.endswith(_SIBILANT):
        forms.add(last + "es")
    elif len(last) > 2 and last.endswith("y") and last[-2] not in "aeiou":
        forms.add(last[:-1] + "ies")
    elif last[-1:].isalnum():
        forms.add(last + "s")
    prefix = f"{head} " if head else ""
    return tuple(sorted(prefix + form for form in forms))


class TopicMatcher:
    """Finds taxonomy keywords (and their inflected forms) in docs made by `nlp`."""

    def __init__(self, nlp: Language, taxonomy: Iterable[Topic]) -> None:
        self.taxonomy = tuple(taxonomy)
        self.order = {t.name: i for i, t in enumerate(self.taxonomy)}
        self.category = {t.name: t.category for t in self.taxonomy}
        self.context = {(t.name, k) for t in self.taxonomy for k in t.context}
        self._keys: dict[int, tuple[str, str]] = {}
        self._lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        self._names = PhraseMatcher(nlp.vocab, attr="ORTH")
        terms = [(t.name, k) for t in self.taxonomy for k in (*t.keywords, *t.context)]
        forms = [(k,) if is_name(k) else inflected_forms(k) for _, k in terms]
        # One tokenizer pass over every form: a third of the time of a make_doc per form.
        tokenizer = cast(Tokenizer, nlp.tokenizer)
        docs = iter(tokenizer.pipe(form for group in forms for form in group))
        for (topic, keyword), group in zip(terms, forms, strict=True):
            key = f"{topic}\x1f{keyword}"
            self._keys[nlp.vocab.strings.add(key)] = (topic, keyword)
            matcher = self._names if is_name(keyword) else self._lower
            matcher.add(key, [next(docs) for _ in group])

    def __call__(self, doc: Doc) -> list[TopicHit]:
        """Matches, one per (token range, topic); overlapping keywords of one topic count once."""
        by_topic: dict[str, list[TopicHit]] = {}
        names = [m for m in self._names(doc) if _said_as_name(doc, m[1], m[2])]
        for match_id, start, end in sorted(
            [*self._lower(doc), *names], key=lambda m: (m[1], -m[2])
        ):
            topic, keyword = self._keys[match_id]
            hits = by_topic.setdefault(topic, [])
            if hits and start < hits[-1].end:
                continue  # overlaps a longer (earlier-starting) match of the same topic
            hits.append(TopicHit(start, end, topic, keyword))
        return sorted((h for hits in by_topic.values() for h in hits), key=lambda h: h.start)

    def is_context(self, hit: TopicHit) -> bool:
        return (hit.topic, hit.keyword) in self.context

    def declared(self, categories: Iterable[str]) -> frozenset[str]:
        """The topics a show's `itunes:category` list ("Top" or "Top > Sub") declares: every
        topic of a declared top category, and the topic named as a declared subcategory."""
        tops, subs = set(), set()
        for category in categories:
            top, _, sub = category.partition(">")
            tops.add(top.strip().casefold())
            subs.add(sub.strip().casefold())
        return frozenset(
            t.name
            for t in self.taxonomy
            if (t.category or "").casefold() in tops or t.name.casefold() in subs
        )


def _said_as_name(doc: Doc, start: int, end: int) -> bool:
    """The capital is the name's own: not a sentence's or line's first word, and no capitalised
    word joined to it on either side ("Taylor Swift", "Go Time")."""
    if opens_sentence(doc, start):
        return False
    before, after = doc[start - 1], doc[end] if end < len(doc) else None
    return not (
        (before.whitespace_ and is_name_word(before))
        or (after is not None and doc[end - 1].whitespace_ and is_name_word(after))
    )


_matchers: weakref.WeakKeyDictionary[Language, TopicMatcher] = weakref.WeakKeyDictionary()


def topic_matcher(nlp: Language) -> TopicMatcher:
    """The matcher for the packaged taxonomy, built once per pipeline; the taxonomy's keywords
    are English, so a pipeline of another language gets an empty one."""
    if nlp not in _matchers:
        _matchers[nlp] = TopicMatcher(nlp, load_taxonomy() if nlp.lang == "en" else ())
    return _matchers[nlp]


def topic_rows(
    episode_id: str,
    counts: Counter[tuple[str, str]],
    matcher: TopicMatcher,
    categories: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Rows for topics with at least MIN_MENTIONS counted matches (MIN_MENTIONS_DECLARED for
    a topic the show's `categories` declare) and, unless declared, MIN_SHARE_OF_MAIN of the
    main topic's, most mentioned first.

    `counts` maps (topic, keyword) to matches. A topic's context words count only when one
    of its plain keywords matched. `keywords` lists the counted keywords, most frequent
    first; prominence = min(1, mentions / 10) as the analyser computes it.
    """
    per_topic: dict[str, Counter[str]] = {}
    for (topic, keyword), n in counts.items():
        per_topic.setdefault(topic, Counter())[keyword] += n
    declared = matcher.declared(categories)
    rows = []
    for topic, keywords in per_topic.items():
        if all((topic, k) in matcher.context for k in keywords):
            continue  # only ambiguous words: no evidence of the topic
        mentions = sum(keywords.values())
        if mentions < (MIN_MENTIONS_DECLARED if topic in declared else MIN_MENTIONS):
            continue
        rows.append(
            make_row(
                TOPICS,
                episode_id=episode_id,
                topic=topic,
                category=matcher.category.get(topic),
                mentions=int(mentions),
                prominence=float(min(1.0, mentions / 10)),
                keywords=[k for k, _ in sorted(keywords.items(), key=lambda kv: -kv[1])],
                source=SOURCE,
            )
        )
    main = max((r["mentions"] for r in rows), default=0)
    rows = [r for r in rows if r["topic"] in declared or r["mentions"] >= MIN_SHARE_OF_MAIN * main]
    rows.sort(key=lambda r: (-r["mentions"], matcher.order.get(r["topic"], len(matcher.order))))
    return rows
