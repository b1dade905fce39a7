"""Extraction on the real seed transcripts, judged against the analyser's own findings.

Seed 002 is a plain transcript of the same episode (881) as the enriched page 001, so 001's
LLM-pass companies and its topic counts are a reference for what 002 should yield. Seed 003
is timestamped, so its rows must carry times.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import combinations

import pytest
import yaml
from rapidfuzz import fuzz

from podcast_assets.extraction import extract_transcripts, load_gazetteer
from podcast_assets.extraction.enriched_pages import canonical_entity
from podcast_assets.extraction.quotes import DUPLICATE_SIMILARITY, MAX_CHARS, MIN_CHARS
from podcast_assets.extraction.surfaces import LEADING_WORDS
from podcast_assets.extraction.topics import MIN_SHARE_OF_MAIN
from podcast_assets.models import segments_from_texts

PLAIN_881 = "002_8b2825759835b94d.txt"
ENRICHED_881 = "001_d9628893f081d57c.txt"
TIMESTAMPED = "003_6dc2de23e6c008f7.txt"
ANALYSER_TOPICS = ("artificial intelligence", "ai infrastructure", "startup", "generative ai",
                   "investment")  # fmt: skip
# Measured 38/41 = 0.93 (misses: AI21, which 002 hears as "Arcee"; "Adlen", heard as
# "Adelant"; and "Ron", which we link to "Ron Diamant"). The floor leaves room for model drift.
RECALL_FLOOR = 0.85
CUE = re.compile(r"^\[(\d+):(\d+):([\d.]+) --> (\d+):(\d+):([\d.]+)\]\s*(.*)$")


def front_matter(text):
    return yaml.safe_load(re.split(r"^---\s*$", text, flags=re.M)[1])


def plain_segments(text):
    return segments_from_texts([line for line in text.splitlines() if line.strip()])


def timestamped_segments(text):
    texts, starts, ends = [], [], []
    for line in text.splitlines():
        cue = CUE.match(line)
        if cue and cue[7].strip():
            h1, m1, s1, h2, m2, s2, words = cue.groups()
            texts.append(words.strip())
            starts.append(int(h1) * 3600 + int(m1) * 60 + float(s1))
            ends.append(int(h2) * 3600 + int(m2) * 60 + float(s2))
    return segments_from_texts(texts, starts, ends)


@pytest.fixture(scope="module")
def seeds(nlp, seed_text):
    """{seed: (transcript text, segments, Extraction)} for 002 and 003, extracted once."""
    segments = {
        PLAIN_881: plain_segments(seed_text(PLAIN_881)),
        TIMESTAMPED: timestamped_segments(seed_text(TIMESTAMPED)),
    }
    out = {}
    for extraction in extract_transcripts(nlp, list(segments.items())):
        segs = segments[extraction.episode_id]
        out[extraction.episode_id] = ("\n".join(s.text for s in segs), segs, extraction)
    for seed, (_, _, extraction) in out.items():
        top = Counter(m["entity"] for m in extraction.mentions).most_common(20)
        print(f"\n{seed} top entities: {top}")
    return out


def test_extraction_recall_of_analyser_llm_entities_on_the_same_episode(seeds, seed_text):
    gazetteer = load_gazetteer()
    companies = front_matter(seed_text(ENRICHED_881))["companies"]
    reference = {
        canonical_entity(c["name"], gazetteer)[0]
        for c in companies
        if c.get("source") == "llm_enhanced"
    }
    found = {m["entity"] for m in seeds[PLAIN_881][2].mentions}
    recall = len(reference & found) / len(reference)
    print(f"\nrecall {len(reference & found)}/{len(reference)} = {recall:.2f}; "
          f"missed {sorted(reference - found)}")  # fmt: skip
    assert recall >= RECALL_FLOOR


@pytest.mark.parametrize("seed", [PLAIN_881, TIMESTAMPED])
def test_extraction_seed_mentions_are_clean_and_located(seeds, seed):
    text, segments, extraction = seeds[seed]
    assert len(extraction.mentions) > 50
    for m in extraction.mentions:
        assert text[m["char_start"] : m["char_end"]] == m["surface"]
        segment = segments[m["segment_seq"]]
        assert segment.char_start <= m["char_start"] < segment.char_end + 1
        assert m["entity"].split()[0].casefold() not in LEADING_WORDS
        assert m["entity"] not in {"So I", "And I", "I", "AI", "GPU", "ML"}


def test_extraction_seed_asr_variants_link_to_canonical(seeds):
    by_surface = {}
    for m in seeds[PLAIN_881][2].mentions:
        by_surface.setdefault(m["surface"], set()).add(m["entity"])
    assert by_surface["Tranium"] == {"Trainium"}
    assert by_surface["Traineum"] == {"Trainium"}
    assert by_surface["John Krohn"] == {"Jon Krohn"}
    assert by_surface["Annapurna Labs"] == {"Annapurna Labs"}


def test_extraction_timestamped_seed_rows_carry_times(seeds):
    _, segments, extraction = seeds[TIMESTAMPED]
    assert extraction.mentions and extraction.quotes
    assert all(isinstance(m["start_seconds"], float) for m in extraction.mentions)
    for q in extraction.quotes:
        assert isinstance(q["start_seconds"], float) and isinstance(q["end_seconds"], float)
        assert q["start_seconds"] < q["end_seconds"] <= segments[-1].end_seconds
    host = [m for m in extraction.mentions if m["entity"] == "Lukas Biewald"]
    assert host and host[0]["start_seconds"] == 34.0


def test_extraction_plain_seed_rows_have_no_times(seeds):
    extraction = seeds[PLAIN_881][2]
    assert all(m["start_seconds"] is None for m in extraction.mentions)
    assert all(q["start_seconds"] is None for q in extraction.quotes)


def test_extraction_topics_agree_with_the_analyser_on_its_five(seeds, seed_text):
    """Same main topics found, same ranking; counts differ (the analyser counts substrings:
    "said" for "ai"), so only the order is compared. The analyser also reports topics said in
    passing (2 mentions of `investment` in 11,400 words); ours need a tenth of the main
    topic's mentions, so those are left out on both sides."""
    analyser = {t["topic"]: t["mentions"] for t in front_matter(seed_text(ENRICHED_881))["topics"]}
    ours = {t["topic"]: t["mentions"] for t in seeds[PLAIN_881][2].topics}
    assert set(analyser) == set(ANALYSER_TOPICS)
    main = max(analyser.values())
    kept = [t for t in ANALYSER_TOPICS if analyser[t] >= MIN_SHARE_OF_MAIN * main]
    assert kept == ["artificial intelligence", "ai infrastructure"]
    assert set(kept) <= set(ours)
    for a, b in combinations(kept, 2):
        if analyser[a] > analyser[b]:
            assert ours[a] >= ours[b], (a, b)
    print(f"\nanalyser {analyser}\nours {dict((t, ours.get(t)) for t in ANALYSER_TOPICS)}")


@pytest.mark.parametrize("seed", [PLAIN_881, TIMESTAMPED])
def test_extraction_seed_quotes_are_bounded_scored_and_distinct(seeds, seed):
    quotes = seeds[seed][2].quotes
    assert 10 <= len(quotes) <= 15
    for q in quotes:
        assert MIN_CHARS <= len(q["text"]) <= MAX_CHARS
        assert 1 <= q["relevance_score"] <= 10
        assert q["impact_reason"] and q["source"] == "heuristic"
    scores = [q["relevance_score"] for q in quotes]
    assert scores == sorted(scores, reverse=True)
    for a, b in combinations(quotes, 2):
        assert fuzz.token_sort_ratio(a["text"], b["text"]) < DUPLICATE_SIMILARITY


def test_extraction_seed_quotes_skip_sponsor_reads_and_boilerplate(seeds):
    texts = " ".join(q["text"] for q in seeds[PLAIN_881][2].quotes).casefold()
    for phrase in (
        "brought to you by",
        "odsc east is",
        "discount",
        "y carrot",
        "super data science community is the perfect place",
        "free 14-day trial",
        "welcome to the super data science podcast",
    ):
        assert phrase not in texts
