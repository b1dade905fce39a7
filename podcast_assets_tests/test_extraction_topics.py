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


def test_extraction_topic_words_said_in_passing_in_a_long_episode_make_no_topic():
    """A topic needs a tenth of the main topic's mentions: 60 on investment leave no room
    for 5 on generative AI, unless the show declares its category."""
    counts = Counter({("investment", "funding"): 60, ("startup", "founder"): 6})
    counts[("generative ai", "gpt")] = 5
    matcher = small_matcher(STARTUP, GENAI, INVESTMENT)
    rows = topic_rows("ep", counts, matcher)
    assert [(r["topic"], r["mentions"]) for r in rows] == [("investment", 60), ("startup", 6)]
    declared = topic_rows("ep", counts, matcher, ["Technology"])
    assert [r["topic"] for r in declared] == ["investment", "startup", "generative ai"]
    # A short episode's topics are left to MIN_MENTIONS.
    short = Counter({("investment", "funding"): 19, ("generative ai", "gpt"): 2})
    assert [r["topic"] for r in topic_rows("ep", short, matcher)] == ["investment", "generative ai"]


HOME = Topic("home & garden", ("compost", "gardening"), "Leisure", ("soil",))


def test_extraction_topic_the_shows_categories_lower_the_evidence_a_topic_needs():
    """A topic of a category the feed declares is reported from one match, not two; one
    ambiguous word is still not enough, and a category alone makes no topic."""
    matcher = small_matcher(STARTUP, GENAI, INVESTMENT, HOME)
    once = Counter({("startup", "founder"): 1, ("generative ai", "gpt"): 1})
    assert topic_rows("ep", once, matcher) == []
    rows = topic_rows("ep", once, matcher, ["Business"])
    assert [(r["topic"], r["mentions"], r["prominence"]) for r in rows] == [("startup", 1, 0.1)]
    # "Top > Sub" declares the top category's topics and the subcategory named by it.
    garden = Counter({("home & garden", "compost"): 1, ("investment", "funding"): 1})
    for categories in (["Leisure"], ["Leisure > Home & Garden"], ["Arts > Home & Garden"]):
        rows = topic_rows("ep", garden, matcher, categories)
        assert [r["topic"] for r in rows] == ["home & garden"], categories
    assert topic_rows("ep", Counter({("home & garden", "soil"): 1}), matcher, ["Leisure"]) == []
    assert topic_rows("ep", Counter(), matcher, ["Leisure", "Business", "Technology"]) == []
    assert matcher.declared(["News > Tech News", "Technology"]) == {"generative ai"}


def test_extraction_topic_matcher_counts_context_hits_and_says_which_they_are():
    nlp = spacy.blank("en")
    matcher = TopicMatcher(nlp, [STARTUP])
    hits = matcher(nlp("Two founders and a venture, ventures too."))
    assert [(h.keyword, matcher.is_context(h)) for h in hits] == [
        ("founder", False), ("venture", True), ("venture", True)
    ]  # fmt: skip


def test_extraction_topic_names_match_as_written_and_only_where_the_capital_is_theirs():
    """A capitalised term ("Go") is a name that is an everyday word in lower case: it counts
    mid-sentence as written, not lower case, not opening a sentence or line, and not as part
    of a longer name."""
    programming = Topic("programming", ("compiler",), "Technology", ("Go", "Swift"))
    nlp = spacy.blank("en")
    matcher = TopicMatcher(nlp, [programming])
    text = (
        "We write Go at work, and we go home. Go and watch it.\nGo is fast; "
        "Go Time is a show, Taylor Swift sings, and Swift, like Go, has a compiler."
    )
    doc = nlp(text)
    found = [(doc[h.start : h.end].start_char, h.keyword) for h in matcher(doc)]
    assert found == [
        (text.index("Go at"), "Go"),
        (text.index("Swift, like"), "Swift"),
        (text.index("Go, has"), "Go"),
        (text.index("compiler"), "compiler"),
    ]
    assert [h.keyword for h in matcher(nlp("we go on and on, swift and sure."))] == []


def test_extraction_topic_taxonomy_keeps_capitals_only_for_names(tmp_path):
    path = tmp_path / "taxonomy.yaml"
    path.write_text(
        "categories:\n- category: Technology\n  topics:\n  - topic: programming\n"
        "    keywords: [Compiler Design, debugger]\n    context: [Go]\n",
        encoding="utf-8",
    )
    (topic,) = load_taxonomy(path)
    assert (topic.keywords, topic.context) == (("Compiler Design", "debugger"), ("Go",))


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


def test_extraction_topic_categories_reach_the_extract_step_through_the_feed(tmp_path, nlp):
    """The episode's feed declares Education: the one "teaching" of the episode makes a topic
    of that category, which it does not under the feed's own Leisure category."""
    from podcast_assets import steps, warehouse

    from .conftest import SEEDS_DIR

    feed = (SEEDS_DIR / "soil-and-sky.xml").read_text(encoding="utf-8")
    leisure = '<itunes:category text="Leisure">'
    assert leisure in feed
    found = {}
    for declared in ("Leisure", "Education"):
        raw = tmp_path / declared
        raw.mkdir()
        text = feed.replace(leisure, f'<itunes:category text="{declared}">')
        (raw / "soil-and-sky.xml").write_text(text, encoding="utf-8")
        episode = raw / "soil-and-sky-013.html"
        episode.write_bytes((SEEDS_DIR / episode.name).read_bytes())
        files = [("feed", raw / "soil-and-sky.xml"), ("ep", episode)]
        db = raw / "w.duckdb"
        steps.ingest.ingest_files(db, files)
        steps.extract.extract_partitions(db, ["feed", "ep"], nlp)
        with warehouse.open_reader(db) as con:
            found[declared] = con.execute(
                "SELECT topic, category, mentions FROM topics WHERE source = 'taxonomy' "
                "AND mentions = 1"
            ).fetchall()
    assert found == {"Leisure": [], "Education": [("education and careers", "Education", 1)]}
