"""The quote heuristic: scoring terms, ad detection, selection."""

from __future__ import annotations

import pytest

from podcast_assets.extraction.quotes import (
    Sentence,
    is_ad,
    score_sentence,
    select_quotes,
)
from podcast_assets.models import segments_from_texts
from podcast_assets.schema import QUOTES

LONG = "Trainium 2 is actually the most powerful EC2 instance on AWS for AI, like 4x the compute."


@pytest.mark.parametrize(
    ("text", "topics", "entities", "score", "terms"),
    [
        ("We talked a while about many things that happened.", [], [], 3, ["base score"]),
        (LONG, ["hardware and chips", "cloud computing"], ["Trainium 2", "EC2", "AWS"], 9,
         ["topics", "entities", "figures", "claim"]),
        ("I think what we found is that the key is the data.", [], [], 5,
         ["claim", "first-person insight"]),
        ("Um, yeah, like, you know, uh, it's sort of, like, right?", [], [], 1,
         ["filler -2", "question -1"]),
        ("Welcome to the Super Data Science Podcast, I'm your host.", [], ["SDS"], 1,
         ["host boilerplate -3"]),
    ],
)  # fmt: skip
def test_extraction_score_sentence_terms(text, topics, entities, score, terms):
    result = score_sentence(text, topics, entities)
    assert result.value == score
    for term in terms:
        assert term in result.reason


@pytest.mark.parametrize(
    ("text", "ad"),
    [
        ("Today's episode is brought to you by ODSC, the Open Data Science Conference.", True),
        ("Online special discount ends soon.", True),
        ("Learn more at odsc.com slash boston.", True),
        ("Start your free 14-day trial today at superdatascience.com.", True),
        ("You can click a button to download the model in SageMaker Studio.", False),
        ("Annapurna Labs is a startup that Amazon acquired in 2015.", False),
    ],
)
def test_extraction_is_ad(text, ad):
    assert is_ad(text) is ad


def sentence(text, start, topics=(), ad=None):
    return Sentence(
        start, start + len(text), text, tuple(topics), (), is_ad(text) if ad is None else ad
    )


def test_extraction_select_quotes_drops_ads_duplicates_and_bounds():
    good = "So fundamentally a kernel is a function that is defined by the user, not the compiler."
    texts = [
        "Excited to announce that ODSC East, the one conference you don't want to miss, is back!",
        "It is three days packed with hands-on sessions and deep dives into cutting-edge topics.",
        "Plus, there are many great networking opportunities for everyone attending the event.",
        "Online special discount ends soon, so register for the conference as soon as you can.",
        "Wow.",
        "Yeah, your excitement really shines through.",
        "Absolutely.",
        good,
        good.replace("So fundamentally", "Fundamentally,"),  # near-duplicate
        "Too short to quote.",
        "x " * 250,  # too long
    ]
    sentences, offset = [], 0
    for i, text in enumerate(texts):
        sentences.append(sentence(text, offset, ["hardware and chips"] if i >= 7 else ()))
        offset += len(text) + 1
    padding = [sentence("Neutral filler sentence number one of a few more.", offset + i * 60)
               for i in range(4)]  # fmt: skip
    segments = segments_from_texts([s.text for s in sentences + padding], [0.0] * 15, [1.0] * 15)
    rows = select_quotes(
        "ep", sentences + padding, list(segments), [s.char_start for s in segments]
    )
    assert [r["text"] for r in rows] == [good]
    (row,) = rows
    assert list(row) == QUOTES.column_names
    assert row["topics"] == ["hardware and chips"]
    assert row["char_start"] == sentences[7].start
    assert (row["start_seconds"], row["end_seconds"]) == (0.0, 1.0)
