"""The analyser's own findings (enriched pages' front matter), normalised into our rows.

Nothing is dropped or re-scored: every `companies`, `quotes`, `insights` and `topics` item
with text becomes a row, flagged by `source` so the crude first pass (`analyzer`) can be told
from the LLM pass (`analyzer_llm`) and compared with our transcript extraction. Only entity
names are canonicalised through the gazetteer, so "Amazon Web Services (AWS)" and "AWS"
count as one entity across sources.

The page's people (its host and guests, as its title and intro name them, or its feed item's
`podcast:person`) are PERSON rows with source `metadata` and their role, as a transcript's
are (people.py); the analyser's rows of such a person carry the role too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from podcast_assets.extraction.aliases import alias_key
from podcast_assets.extraction.gazetteer import Gazetteer, load_gazetteer
from podcast_assets.extraction.people import EpisodePeople, Person, people_rows
from podcast_assets.extraction.rows import (
    Extraction,
    make_row,
    opt_float,
    opt_int,
    opt_str,
    str_list,
)
from podcast_assets.extraction.surfaces import clean_name, normalize_space, split_parenthetical
from podcast_assets.extraction.topics import topic_categories
from podcast_assets.schema import MENTIONS, QUOTES, TOPICS

LLM_MARKER = "llm_enhanced"
SOURCE_CRUDE = "analyzer"
SOURCE_LLM = "analyzer_llm"
SOURCE_INSIGHT = "analyzer_insight"
CONFIDENCE = {"high": 0.9, "medium": 0.6, "low": 0.3}
UNKNOWN_CATEGORIES = frozenset({"", "unknown", "none", "null"})


def extract_enriched(
    episode_id: str, front_matter: Mapping[str, Any], people: Sequence[Person] = ()
) -> Extraction:
    """Mentions, quotes and topics rows from an enriched page's front matter, and a row per
    person of the page (`people`: its listed host and guests)."""
    gazetteer = load_gazetteer()
    listed = EpisodePeople(people, (), gazetteer)
    roles = listed.roles()
    mentions = [
        _mention(episode_id, item, gazetteer)
        for item in _items(front_matter, "companies")
        if opt_str(item.get("name"))
    ]
    for m in mentions:
        if m["label"] in (None, "PERSON"):
            m["role"] = roles.get(alias_key(m["entity"]))
    return Extraction(
        episode_id=episode_id,
        mentions=[*mentions, *people_rows(episode_id, listed, gazetteer)],
        quotes=[
            *(
                _quote(episode_id, q)
                for q in _items(front_matter, "quotes")
                if opt_str(q.get("text"))
            ),
            *(
                _insight(episode_id, i)
                for i in _items(front_matter, "insights")
                if opt_str(i.get("text"))
            ),
        ],
        topics=[
            _topic(episode_id, t) for t in _items(front_matter, "topics") if opt_str(t.get("topic"))
        ],
    )


def canonical_entity(name: str, gazetteer: Gazetteer) -> tuple[str, str | None, str | None]:
    """(entity, label, gazetteer category) for an analyser name.

    The gazetteer's canonical entry when the name resolves; otherwise the name without its
    parenthetical and leading discourse words, or as given when it is an ignored surface or
    cleaning leaves nothing (the crude pass's "So I" stays visible as what it is, under
    source `analyzer`).
    """
    head = split_parenthetical(name)[0] or normalize_space(name)
    if gazetteer.is_ignored(head):
        return head, None, None
    resolution = gazetteer.resolve(name)
    if resolution is not None:
        entry = resolution.entry
        return entry.name, entry.label, entry.category
    return clean_name(head) or head, None, None


def _items(front_matter: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    values = front_matter.get(key) or []
    return [v for v in values if isinstance(v, Mapping)] if isinstance(values, list) else []


def _source(item: Mapping[str, Any]) -> str:
    return SOURCE_LLM if item.get("source") == LLM_MARKER else SOURCE_CRUDE


def _mention(episode_id: str, item: Mapping[str, Any], gazetteer: Gazetteer) -> dict[str, Any]:
    """A `companies` item. Category: the analyser's, or the gazetteer's when it says unknown."""
    name = normalize_space(str(item["name"]))
    entity, label, known_category = canonical_entity(name, gazetteer)
    category = opt_str(item.get("category"))
    if category is None or category.casefold() in UNKNOWN_CATEGORIES:
        category = known_category
    position = opt_int(item.get("position"))
    confidence = item.get("confidence")
    return make_row(
        MENTIONS,
        episode_id=episode_id,
        entity=entity,
        surface=name,
        label=label,
        category=category,
        char_start=position,
        char_end=None if position is None else position + len(name),
        segment_seq=None,
        start_seconds=None,
        speaker=None,
        context=opt_str(item.get("context")),
        confidence=CONFIDENCE.get(str(confidence).casefold(), opt_float(confidence)),
        source=_source(item),
        role=None,
    )


def _quote(episode_id: str, item: Mapping[str, Any]) -> dict[str, Any]:
    """A `quotes` item: crude ones carry a `topics` list, LLM ones a "a/b" `topic` string."""
    if "topics" in item:
        topics = str_list(item.get("topics"))
    else:
        topics = [t for t in (p.strip() for p in str(item.get("topic") or "").split("/")) if t]
    return make_row(
        QUOTES,
        episode_id=episode_id,
        text=opt_str(item.get("text")),
        relevance_score=opt_int(item.get("relevance_score")),
        start_seconds=None,
        end_seconds=None,
        speaker=None,
        topics=topics,
        source=_source(item),
        impact_reason=opt_str(item.get("impact_reason")),
        char_start=None,
    )


def _insight(episode_id: str, item: Mapping[str, Any]) -> dict[str, Any]:
    """An `insights` item: no score of its own; its type ("prediction", ...) is its topic."""
    return make_row(
        QUOTES,
        episode_id=episode_id,
        text=opt_str(item.get("text")),
        relevance_score=None,
        start_seconds=None,
        end_seconds=None,
        speaker=None,
        topics=str_list(item.get("type")),
        source=SOURCE_INSIGHT,
        impact_reason=None,
        char_start=None,
    )


def _topic(episode_id: str, item: Mapping[str, Any]) -> dict[str, Any]:
    topic = opt_str(item.get("topic"))
    # The analyser's topic names are the taxonomy's first topics, verbatim.
    categories = topic_categories()
    return make_row(
        TOPICS,
        episode_id=episode_id,
        topic=topic,
        category=categories.get(topic.lower()) if topic else None,
        mentions=opt_int(item.get("mentions")) or 0,
        prominence=opt_float(item.get("prominence")),
        keywords=str_list(item.get("keywords")),
        source=SOURCE_CRUDE,
    )
