"""The taxonomy file and keyword matching."""

from __future__ import annotations

import re
from collections import Counter

import pytest
import spacy
import yaml

from podcast_assets.extraction import load_taxonomy
from podcast_assets.extraction.topics import (
    MIN_MENTIONS,
    Topic,
    TopicMatcher,
    inflected_forms,
    topic_matcher,
    topic_rows,
)

ENRICHED = ("000_bd597d44d42fa029.txt", "001_d9628893f081d57c.txt")


def analyser_topics(seed_text, seed):
    return yaml.safe_load(re.split(r"^---\s*$", seed_text(seed), flags=re.M)[1])["topics"]


def hits(nlp, text):
    doc = nlp(text)
    return [(h.topic, h.keyword, doc[h.start : h.end].text) for h in topic_matcher(nlp)(doc)]


@pytest.mark.parametrize("seed", ENRICHED)
def test_extraction_taxonomy_starts_with_the_analyser_topics_verbatim(seed_text, seed):
    # Every analyser keyword is kept; the ambiguous ones count only as context now.
    taxonomy = {t.name: {*t.keywords, *t.context} for t in load_taxonomy()}
    for topic in analyser_topics(seed_text, seed):
        assert taxonomy[topic["topic"]] == set(topic["keywords"])


def test_extraction_taxonomy_is_apple_categories_with_the_seed_subjects_under_them():
    taxonomy = load_taxonomy()
    categories = {t.category for t in taxonomy}
    assert len(categories) == 19 and {"Technology", "Business", "True Crime"} <= categories
    by_name = {t.name: t.category for t in taxonomy}
    for name in ("artificial intelligence", "ai infrastructure", "generative ai", "podcasting",
                 "hardware and chips", "cloud computing", "data engineering"):  # fmt: skip
        assert by_name[name] == "Technology"
    assert by_name["startup"] == by_name["investment"] == "Business"
    keywords = [k for t in taxonomy for k in t.keywords]
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


def small_matcher(*topics: Topic) -> TopicMatcher:
    return TopicMatcher(spacy.blank("en"), topics)


STARTUP = Topic("startup", ("startup", "founder"), "Business", ("venture",))
INVESTMENT = Topic("investment", ("funding",), "Business")
GENAI = Topic("generative ai", ("gpt",), "Technology")


@pytest.mark.parametrize(("mentions", "prominence"), [(2, 0.2), (6, 0.6), (10, 1.0), (58, 1.0)])
def test_extraction_topic_prominence_is_mentions_over_ten(mentions, prominence):
    counts = Counter({("startup", "startup"): mentions})
    (row,) = topic_rows("ep", counts, small_matcher(STARTUP))
    assert row["prominence"] == pytest.approx(prominence)
    assert isinstance(row["prominence"], float) and isinstance(row["mentions"], int)
    assert row["category"] == "Business"


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
    rows = topic_rows("ep", counts, small_matcher(STARTUP, GENAI, INVESTMENT))
    assert [(r["topic"], r["mentions"]) for r in rows] == [("investment", 9), ("startup", 7)]
    assert rows[1]["keywords"] == ["founder", "startup"]
    assert {r["source"] for r in rows} == {"taxonomy"}


def test_extraction_topic_context_words_alone_never_make_a_topic():
    matcher = small_matcher(STARTUP)
    alone = topic_rows("ep", Counter({("startup", "venture"): 7}), matcher)
    assert alone == []
    supported = topic_rows(
        "ep", Counter({("startup", "venture"): 7, ("startup", "founder"): 1}), matcher
    )
    assert [(r["topic"], r["mentions"], r["keywords"]) for r in supported] == [
        ("startup", 8, ["venture", "founder"])
    ]


def test_extraction_topic_matcher_counts_context_hits_and_says_which_they_are():
    nlp = spacy.blank("en")
    matcher = TopicMatcher(nlp, [STARTUP])
    hits = matcher(nlp("Two founders and a venture, ventures too."))
    assert [(h.keyword, matcher.is_context(h)) for h in hits] == [
        ("founder", False), ("venture", True), ("venture", True)
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("keyword", "forms"),
    [
        ("gpu", ("gpu", "gpus")),
        ("company", ("companies", "company")),
        ("day", ("day", "days")),
        ("box", ("box", "boxes")),
        ("coach", ("coach", "coaches")),
        ("neural networks", ("neural network", "neural networks")),
        ("podcast app", ("podcast app", "podcast apps")),
        ("stories", ("stories", "story")),
        ("analysis", ("analyses", "analysis")),
        ("campus", ("campus", "campuses")),
        ("business", ("business", "businesses")),
        ("on-prem", ("on-prem", "on-prems")),
    ],
)
def test_extraction_topic_keywords_match_their_regular_plural_or_singular(keyword, forms):
    assert inflected_forms(keyword) == forms


def test_extraction_topic_taxonomy_v2_has_categories_and_rejects_a_word_in_both_lists(tmp_path):
    path = tmp_path / "taxonomy.yaml"
    path.write_text(
        "version: 2\ncategories:\n- category: Sports\n  topics:\n"
        "  - {topic: golf, keywords: [golf, putt], context: [green]}\n"
    )
    (golf,) = load_taxonomy(path)
    assert (golf.category, golf.keywords, golf.context) == ("Sports", ("golf", "putt"), ("green",))
    path = tmp_path / "bad.yaml"
    path.write_text(
        "categories:\n- category: Sports\n  topics:\n"
        "  - {topic: golf, keywords: [golf], context: [golf]}\n"
    )
    with pytest.raises(ValueError, match="keyword and context"):
        load_taxonomy(path)


def test_extraction_topic_matcher_is_empty_for_other_languages():
    assert topic_matcher(spacy.blank("xx")).taxonomy == ()  # "xx": any language but English
