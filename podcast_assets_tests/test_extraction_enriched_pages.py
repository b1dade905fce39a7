"""The analyser's front matter, normalised as it is into our rows."""

from __future__ import annotations

import re
from collections import Counter

import pytest
import yaml

from podcast_assets.extraction import extract_enriched
from podcast_assets.extraction.people import listed_people
from podcast_assets.schema import MENTIONS, QUOTES, TOPICS

ENRICHED = ("000_bd597d44d42fa029.txt", "001_d9628893f081d57c.txt")


def front_matter(text):
    return yaml.safe_load(re.split(r"^---\s*$", text, flags=re.M)[1])


@pytest.mark.parametrize("seed", ENRICHED)
def test_extraction_enriched_keeps_every_row_with_its_source(seed_text, seed):
    front = front_matter(seed_text(seed))
    extraction = extract_enriched("ep", front)

    companies = front["companies"]
    assert len(extraction.mentions) == len(companies)
    assert Counter(m["source"] for m in extraction.mentions) == Counter(
        "analyzer_llm" if c.get("source") == "llm_enhanced" else "analyzer" for c in companies
    )
    assert [m["surface"] for m in extraction.mentions] == [c["name"] for c in companies]

    quotes, insights = front["quotes"], front.get("insights") or []
    assert len(extraction.quotes) == len(quotes) + len(insights)
    assert Counter(q["source"] for q in extraction.quotes) == Counter(
        ["analyzer_llm" if q.get("source") == "llm_enhanced" else "analyzer" for q in quotes]
        + ["analyzer_insight"] * len(insights)
    )
    assert [q["text"] for q in extraction.quotes] == [
        " ".join(q["text"].split()) for q in quotes + insights
    ]

    fields = ("topic", "mentions", "prominence", "keywords")
    assert [[t[f] for f in fields] for t in extraction.topics] == [
        [t[f] for f in fields] for t in front["topics"]
    ]
    assert {t["source"] for t in extraction.topics} == {"analyzer"}

    for table, rows in ((MENTIONS, extraction.mentions), (QUOTES, extraction.quotes),
                        (TOPICS, extraction.topics)):  # fmt: skip
        assert all(list(r) == table.column_names and r["episode_id"] == "ep" for r in rows)


def test_extraction_enriched_mentions_canonicalise_and_map_fields(seed_text):
    extraction = extract_enriched("ep", front_matter(seed_text(ENRICHED[1])))
    by_surface = {}
    for m in extraction.mentions:
        by_surface.setdefault((m["surface"], m["source"]), m)

    aws = [m for m in extraction.mentions if m["surface"] in {"AWS", "Amazon Web Services (AWS)"}]
    assert {m["entity"] for m in aws} == {"Amazon Web Services"}

    host = by_surface[("John Cron", "analyzer")]
    assert (host["entity"], host["label"], host["confidence"]) == ("Jon Krohn", "PERSON", 0.6)
    assert (host["char_start"], host["char_end"]) == (461, 461 + len("John Cron"))
    assert host["category"] == "host"  # the analyser said "unknown"

    nki = by_surface[("NKI (Neuron Kernel Interface)", "analyzer_llm")]
    assert (nki["entity"], nki["category"], nki["confidence"]) == ("NKI", "ai_infrastructure", 0.9)
    assert nki["char_start"] is None and nki["segment_seq"] is None

    annapurna = by_surface[("Annapurna Labs", "analyzer")]
    assert annapurna["label"] == "ORG"
    assert by_surface[("So SageMaker", "analyzer")]["entity"] == "SageMaker"
    assert by_surface[("So I", "analyzer")]["entity"] == "So I"  # crude row kept as given
    varun = by_surface[("Varun Godbole (associated entity)", "analyzer_llm")]
    assert varun["entity"] == "Varun Godbole"


@pytest.mark.parametrize(
    ("item", "confidence"),
    [({"confidence": "high"}, 0.9), ({"confidence": "medium"}, 0.6),
     ({"confidence": "low"}, 0.3), ({"confidence": 0.75}, 0.75), ({}, None)],
)  # fmt: skip
def test_extraction_enriched_confidence_mapping(item, confidence):
    (row,) = extract_enriched("ep", {"companies": [{"name": "Zeta Labs", **item}]}).mentions
    assert row["confidence"] == confidence
    assert row["entity"] == "Zeta Labs" and row["label"] is None


@pytest.mark.parametrize(
    ("item", "topics"),
    [
        ({"topic": "business/strategy"}, ["business", "strategy"]),
        ({"topic": "technical"}, ["technical"]),
        ({"topics": ["market", "valuation"]}, ["market", "valuation"]),
        ({"topics": []}, []),
        ({}, []),
    ],
)
def test_extraction_enriched_quote_topics(item, topics):
    (row,) = extract_enriched("ep", {"quotes": [{"text": "A quote.", **item}]}).quotes
    assert row["topics"] == topics


def test_extraction_enriched_insight_rows():
    insight = {"text": "the future of AI.", "type": "prediction", "confidence": "medium"}
    (row,) = extract_enriched("ep", {"insights": [insight]}).quotes
    assert (row["source"], row["relevance_score"], row["topics"]) == (
        "analyzer_insight", None, ["prediction"]
    )  # fmt: skip


def test_extraction_enriched_tolerates_missing_and_malformed_sections():
    assert extract_enriched("ep", {}) == extract_enriched("ep", {"companies": None})
    extraction = extract_enriched(
        "ep", {"companies": [{"category": "x"}, "junk", {"name": "  "}], "quotes": "junk"}
    )
    assert extraction.mentions == [] and extraction.quotes == [] and extraction.topics == []


def test_extraction_enriched_hosts_and_guests_are_people(seed_text):
    """The page's host and guest are PERSON rows with source `metadata` and their role, as a
    feed's podcast:person is; the analyser's own rows of them carry the role too."""
    people = listed_people(hosts=["John Cron"], guests=["Emily Webber"])
    extraction = extract_enriched("ep", front_matter(seed_text(ENRICHED[1])), people)
    fields = ("entity", "surface", "label", "role", "confidence", "char_start", "speaker")
    listed = [tuple(m[f] for f in fields) for m in extraction.mentions if m["source"] == "metadata"]
    assert listed == [
        ("Jon Krohn", "John Cron", "PERSON", "host", 0.9, None, None),
        ("Emily Webber", "Emily Webber", "PERSON", "guest", 0.9, None, None),
    ]
    analyser = [m for m in extraction.mentions if m["source"] != "metadata"]
    roles = {(m["surface"], m["role"]) for m in analyser if m["role"] is not None}
    assert roles == {("John Cron", "host"), ("Emily Weber", "guest")}
    assert all(m["entity"] in {"Jon Krohn", "Emily Webber"} for m in analyser if m["role"])
    # Without people, the page's rows are the analyser's alone.
    alone = extract_enriched("ep", front_matter(seed_text(ENRICHED[1])))
    assert [m for m in alone.mentions if m["role"] or m["source"] == "metadata"] == []


def test_extraction_enriched_page_people_come_from_its_own_words(new_warehouse, seeds_dir):
    """Through the extract step: the host and guest that ingest read from the page's title
    and intro are its people (no NLP runs for an analyser page)."""
    import spacy

    from podcast_assets import steps, warehouse

    steps.ingest.ingest_files(new_warehouse, [("p", seeds_dir / ENRICHED[1])])
    steps.extract.extract_partitions(new_warehouse, ["p"], spacy.blank("en"))
    with warehouse.open_reader(new_warehouse) as con:
        rows = con.execute(
            "SELECT entity, surface, role FROM mentions WHERE source = 'metadata' ORDER BY ALL"
        ).fetchall()
    assert rows == [("Emily Webber", "Emily Webber", "guest"), ("Jon Krohn", "John Cron", "host")]
