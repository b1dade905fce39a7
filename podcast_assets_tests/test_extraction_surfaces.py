"""Pure cleaning rules for entity surfaces (no pipeline needed)."""

from __future__ import annotations

import pytest

from podcast_assets.extraction.surfaces import clean_name, is_junk, match_key, split_parenthetical


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("So I", ""),
        ("And I", ""),
        ("Now I", ""),
        ("Like Soma", "Soma"),
        ("Our ICYMI", "ICYMI"),
        ("But NIM", "NIM"),
        ("From Nvidia", "Nvidia"),
        ("At GTC", "GTC"),
        ("So SageMaker Studio", "SageMaker Studio"),
        ("Use SageMaker", "SageMaker"),
        ("What PyTorch XLA", "PyTorch XLA"),
        ("the Neuron SDK", "Neuron SDK"),
        ("Dr. Greg Michelson", "Greg Michelson"),
        ("Manifernal Labs was", "Manifernal Labs"),
        ("Amazon's", "Amazon"),
        ("Trainium 2", "Trainium 2"),
        ("Lama 3", "Lama 3"),
        ("NKI (Neuron Kernel Interface)", "NKI"),
        ("2015", ""),
        ("10th", ""),
        ("it", ""),
        ("US", "US"),
    ],
)
def test_extraction_clean_name_strips_discourse_words_and_rejects_junk(raw, expected):
    assert clean_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("NKI (Neuron Kernel Interface)", ("NKI", ["Neuron Kernel Interface"])),
        ("Amazon Web Services (AWS)", ("Amazon Web Services", ["AWS"])),
        ("Torch Neuron X (TNX)", ("Torch Neuron X", ["TNX"])),
        ("Ron (mentioned as a past guest)", ("Ron", [])),
        ("Varun Godbole (associated entity)", ("Varun Godbole", [])),
        ("SageMaker", ("SageMaker", [])),
    ],
)
def test_extraction_split_parenthetical_keeps_name_like_aliases_only(raw, expected):
    assert split_parenthetical(raw) == expected


@pytest.mark.parametrize(
    ("name", "junk"),
    [("I", True), ("the", True), ("And", True), ("42", True), ("$110", True), ("x", True),
     ("IT", False), ("AWS", False), ("Jon Krohn", False)],
)  # fmt: skip
def test_extraction_is_junk(name, junk):
    assert is_junk(name) is junk


@pytest.mark.parametrize(
    ("a", "b"),
    [("re:Invent", "Re Invent"), ("Ninja.Tak", "ninja tak"), ("N-K-I", "n k i")],
)
def test_extraction_match_key_ignores_case_and_punctuation(a, b):
    assert match_key(a) == match_key(b)
