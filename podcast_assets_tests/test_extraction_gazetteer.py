"""The gazetteer file, resolution (exact and fuzzy), the EntityRuler, suggestions and merging."""

from __future__ import annotations

import re
import shutil

import pytest
import yaml

from podcast_assets.extraction import (
    load_gazetteer,
    merge_gazetteer_entries,
    suggest_gazetteer_entries,
)
from podcast_assets.extraction.gazetteer import LABELS, default_gazetteer_path


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer()


@pytest.fixture
def gazetteer_copy(tmp_path):
    path = tmp_path / "gazetteer.yaml"
    shutil.copy(default_gazetteer_path(), path)
    return path


@pytest.mark.parametrize(
    ("surface", "canonical"),
    [
        ("Tranium", "Trainium"),
        ("Traineum", "Trainium"),
        ("Trinium", "Trainium"),
        ("Tranium 2", "Trainium 2"),
        ("TRN2", "Trainium 2"),
        ("Infrentia", "Inferentia"),
        ("AWS", "Amazon Web Services"),
        ("aws", "Amazon Web Services"),
        ("Amazon Web Services (AWS)", "Amazon Web Services"),
        ("John Krohn", "Jon Krohn"),
        ("John Cron", "Jon Krohn"),
        ("John Crone", "Jon Krohn"),
        ("So SageMaker", "SageMaker"),
        ("NKI (Neuron Kernel Interface)", "NKI"),
        ("Annapurna", "Annapurna Labs"),
        ("Ninja.Tak", "NinjaTech AI"),
        # fuzzy near-misses of names or aliases
        ("Trainum", "Trainium"),
        ("Databrick", "Databricks"),
        ("Anthropik", "Anthropic"),
        ("Emily Weeber", "Emily Webber"),
    ],
)
def test_extraction_gazetteer_resolves_variants_to_canonical(gazetteer, surface, canonical):
    resolution = gazetteer.resolve(surface)
    assert resolution is not None
    assert resolution.entry.name == canonical


@pytest.mark.parametrize(
    "surface",
    [
        "Training",
        "Inference",
        "Amazing",
        "Nitrogen",
        "Gravity",
        "Tensor",
        "Polaris",
        "Claudia",
        "Pythonic",
        "Trainium 4",  # digits must agree: not Trainium 2 or 3
        "Apples",  # case-sensitive entries never fuzzy-match
        "Annapurna Circuit",
    ],
)
def test_extraction_gazetteer_fuzzy_rejects_false_positives(gazetteer, surface):
    assert gazetteer.resolve(surface) is None


def test_extraction_gazetteer_case_sensitive_entries_match_only_as_written(gazetteer):
    assert gazetteer.lookup("Apple").name == "Apple"
    assert gazetteer.lookup("apple") is None
    assert gazetteer.lookup("Nickel").name == "NCCL"
    assert gazetteer.lookup("nickel") is None


@pytest.mark.parametrize(
    ("surface", "ignored"),
    [("AI", True), ("GPUs", True), ("TP64", True), ("LNC1", True), ("AWS", False)],
)
def test_extraction_gazetteer_ignores_generic_acronyms(gazetteer, surface, ignored):
    assert gazetteer.is_ignored(surface) is ignored


def test_extraction_gazetteer_every_form_resolves_to_its_own_entry(gazetteer):
    """No alias is shared by two entries, and every label is a known spaCy label."""
    for entry in gazetteer.entries:
        assert entry.label in LABELS
        for form in entry.forms:
            assert gazetteer.lookup(form).name == entry.name, form


def test_extraction_gazetteer_file_is_in_canonical_form(gazetteer_copy):
    """Merging nothing rewrites the file byte for byte: it is sorted and stable."""
    before = gazetteer_copy.read_bytes()
    merge_gazetteer_entries([], gazetteer_copy)
    assert gazetteer_copy.read_bytes() == before
    assert before.startswith(b"# Gazetteer")


def test_extraction_ruler_fixes_model_labels(nlp):
    doc = nlp("Emily works in the elite Annapurna Labs team that's part of Amazon Web Services.")
    ents = {e.text: (e.label_, e.ent_id_) for e in doc.ents}
    assert ents["Annapurna Labs"] == ("ORG", "Annapurna Labs")
    assert ents["Amazon Web Services"] == ("ORG", "Amazon Web Services")


def test_extraction_ruler_knows_common_software_as_said(nlp):
    """The software names most developers use: spoken forms resolve to the canonical name,
    and a name that is an everyday word in lower case is matched only as written."""
    doc = nlp(
        "I took a C plus plus course, then C sharp, and now we run Postgres on Windows "
        "with React; windows open, react fast, and C is fine."
    )
    ents = {e.text: (e.label_, e.ent_id_) for e in doc.ents}
    assert ents["C plus plus"] == ("PRODUCT", "C++")
    assert ents["C sharp"] == ("PRODUCT", "C#")
    assert ents["Postgres"] == ("PRODUCT", "PostgreSQL")
    assert ents["Windows"] == ("PRODUCT", "Windows")
    assert ents["React"] == ("PRODUCT", "React")
    assert not {"windows", "react", "C"} & set(ents)


def test_extraction_ruler_knows_the_most_used_social_platforms(nlp):
    doc = nlp("Make a graphic for Facebook, for Instagram, and a clip for Tik Tok or Weibo.")
    ents = {e.text: (e.label_, e.ent_id_) for e in doc.ents}
    assert ents["Facebook"] == ("ORG", "Facebook")
    assert ents["Tik Tok"] == ("ORG", "TikTok")
    assert ents["Weibo"] == ("ORG", "Sina Weibo")


def test_extraction_suggest_gazetteer_entries_cleans_and_folds(gazetteer_copy):
    suggestions = suggest_gazetteer_entries(
        [
            ("NKI (Neuron Kernel Interface)", "ai_infrastructure"),  # known
            ("So I", "unknown"),  # junk
            ("GPU", "unknown"),  # ignored
            ("Zeta Labs (ZL)", "ai_startup"),
            ("So Zeta Labs", None),
            ("Ron (mentioned as a past guest)", "ai_expert"),  # lone first name
            ("Jane Doe (associated entity)", "ai_contributor"),
            ("Annapurna Labz", "ai_infrastructure"),  # near-miss of a known entry
        ],
        gazetteer_copy,
    )
    by_name = {s["name"]: s for s in suggestions}
    assert set(by_name) == {"Zeta Labs", "Jane Doe", "Annapurna Labs"}
    assert by_name["Zeta Labs"] == {
        "name": "Zeta Labs",
        "label": None,
        "category": "ai_startup",
        "aliases": ["ZL"],
        "count": 2,
        "existing": False,
    }
    assert by_name["Jane Doe"]["label"] == "PERSON"
    assert by_name["Annapurna Labs"]["existing"] is True
    assert by_name["Annapurna Labs"]["aliases"] == ["Annapurna Labz"]
    assert suggestions[0]["name"] == "Zeta Labs"  # most frequent first


def test_extraction_suggest_gazetteer_entries_covers_seed_llm_names(seed_text):
    """The gazetteer was seeded from the enriched pages: nothing left to suggest there."""
    names = []
    for seed in ("000_bd597d44d42fa029.txt", "001_d9628893f081d57c.txt"):
        front = yaml.safe_load(re.split(r"^---\s*$", seed_text(seed), flags=re.M)[1])
        names += [(c["name"], c.get("category")) for c in front["companies"] if c.get("source")]
    assert suggest_gazetteer_entries(names) == []


def test_extraction_merge_gazetteer_entries_adds_sorted_and_is_idempotent(gazetteer_copy):
    reviewed = [
        {"name": "Zeta Labs", "label": "ORG", "category": "ai_startup", "aliases": ["ZL"]},
        {"name": "Trainium", "label": "PRODUCT", "aliases": ["Trainyum"]},
    ]
    merge_gazetteer_entries(reviewed, gazetteer_copy)
    once = gazetteer_copy.read_text(encoding="utf-8")
    merge_gazetteer_entries(reviewed, gazetteer_copy)
    assert gazetteer_copy.read_text(encoding="utf-8") == once
    assert once.startswith("# Gazetteer")

    merged = load_gazetteer(gazetteer_copy)
    assert merged.lookup("ZL").name == "Zeta Labs"
    assert merged.lookup("Trainyum").name == "Trainium"
    names = [e.name for e in merged.entries]
    assert names == sorted(names, key=str.casefold)
    assert len(names) == len(load_gazetteer().entries) + 1


def test_extraction_merge_gazetteer_entries_requires_a_label(gazetteer_copy):
    with pytest.raises(ValueError, match="label"):
        merge_gazetteer_entries([{"name": "Zeta Labs", "label": None}], gazetteer_copy)
