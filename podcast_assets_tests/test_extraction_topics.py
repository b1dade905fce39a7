"""The taxonomy file and keyword matching."""

from __future__ import annotations

import re
from collections import Counter

import pytest
import yaml

from podcast_assets.extraction import load_taxonomy
from podcast_assets.extraction.topics import MIN_MENTIONS, topic_matcher, topic_rows

ENRICHED = ("000_bd597d44d42fa029.txt", "001_d9628893f081d57c.txt")


def analyser_topics(seed_text, seed):
    return yaml.safe_load(re.split(r"^---\s*$", seed_text(seed), flags=re.M)[1])["topics"]


def hits(nlp, text):
    doc = nlp(text)
    return [(h.topic, h.keyword, doc[h.start : h.end].text) for h in topic_matcher(nlp)(doc)]


@pytest.mark.parametrize("seed", ENRICHED)
def test_extraction_taxonomy_starts_with_the_analyser_topics_verbatim(seed_text, seed):
    taxonomy = {t.name: list(t.keywords) for t in load_taxonomy()}
    for topic in analyser_topics(seed_text, seed):
        assert taxonomy[topic["topic"]] == topic["keywords"]


def test_extraction_taxonomy_extends_with_seed_subjects():
    names = [t.name for t in load_taxonomy()]
    assert names[:5] == [
        "artificial intelligence", "ai infrastructure", "startup", "generative ai", "investment"
    ]  # fmt: skip
    assert {"hardware and chips", "cloud computing", "mlops and deployment", "data engineering",
            "research and academia"} <= set(names)  # fmt: skip
    keywords = [k for t in load_taxonomy() for k in t.keywords]
    assert len(keywords) == len(set(keywords)), "a keyword belongs to one topic"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("She said it again and explained the maintenance plan.", []),
        ("AI is here.", [("artificial intelligence", "ai", "AI")]),
        ("We bought GPUs.", [("ai infrastructure", "gpu", "GPUs")]),
        ("Three LLMs.", [("artificial intelligence", "llm", "LLMs")]),
        ("A neural network.", [("artificial intelligence", "neural networks", "neural network")]),
        ("Machine learning models.", [("artificial intelligence", "machine learning",
                                       "Machine learning")]),
        ("Generative AI rocks.", [("generative ai", "generative ai", "Generative AI"),
                                  ("artificial intelligence", "ai", "AI")]),
        ("We're training models.", [("ai infrastructure", "training", "training")]),
        ("Of course it trained well.", []),
    ],
)  # fmt: skip
def test_extraction_topic_keywords_match_whole_tokens_and_lemmas(nlp, text, expected):
    assert sorted(hits(nlp, text)) == sorted(expected)


@pytest.mark.parametrize(("mentions", "prominence"), [(2, 0.2), (6, 0.6), (10, 1.0), (58, 1.0)])
def test_extraction_topic_prominence_is_mentions_over_ten(mentions, prominence):
    (row,) = topic_rows("ep", Counter({("startup", "startup"): mentions}), {"startup": 0})
    assert row["prominence"] == pytest.approx(prominence)
    assert isinstance(row["prominence"], float) and isinstance(row["mentions"], int)


@pytest.mark.parametrize("seed", ENRICHED)
def test_extraction_analyser_prominence_follows_the_same_formula(seed_text, seed):
    for topic in analyser_topics(seed_text, seed):
        assert topic["prominence"] == pytest.approx(min(1.0, topic["mentions"] / 10))


def test_extraction_topic_rows_order_and_threshold():
    counts = Counter(
        {
            ("startup", "startup"): 3,
            ("startup", "founder"): 4,
            ("investment", "funding"): 9,
            ("generative ai", "gpt"): MIN_MENTIONS - 1,
        }
    )
    order = {"startup": 2, "generative ai": 3, "investment": 4}
    rows = topic_rows("ep", counts, order)
    assert [(r["topic"], r["mentions"]) for r in rows] == [("investment", 9), ("startup", 7)]
    assert rows[1]["keywords"] == ["founder", "startup"]
    assert {r["source"] for r in rows} == {"taxonomy"}
