"""Planning a refresh: the one classification the CLI, sensor and schedule share."""

from __future__ import annotations

import pytest

from podcast_assets.models import RawFile
from podcast_assets.planning import contiguous_ranges, plan_refresh
from podcast_assets.warehouse import PartitionState


def raw(episode_id: str, sha: str) -> RawFile:
    return RawFile(episode_id, f"/raw/{episode_id}.txt", f"{episode_id}.txt", sha, 10)


def state(sha: str, ingest: str = "1", extract: str | None = "e1"):
    out = {"ingest": PartitionState(sha, ingest)}
    if extract:
        out["extract"] = PartitionState(sha, extract)
    return out


def test_planning_classifies_every_file():
    files = [
        raw("new", "n"),
        raw("same", "s"),
        raw("edited", "e2"),
        raw("old-parser", "p"),
        raw("old-nlp", "x"),
        raw("no-nlp", "y"),
        raw("bad", "b"),
    ]
    states = {
        "same": state("s"),
        "edited": state("e1"),
        "old-parser": state("p", ingest="0"),
        "old-nlp": state("x", extract="e0"),
        "no-nlp": state("y", extract=None),
        "gone": state("g"),
    }
    plan = plan_refresh(
        files,
        states,
        {"bad.txt": ("b", "bad.txt: file is empty")},
        ingest_version="1",
        extract_version="e1",
    )
    assert plan.new == ("new",)
    assert plan.changed == ("edited",)
    assert plan.stale_ingest == ("old-parser",)
    assert plan.stale_extract == ("old-nlp", "no-nlp")
    assert plan.known_rejected == ("bad",)
    assert plan.unchanged == ("same",)
    assert plan.removed == ("gone",)
    assert plan.to_ingest == ("new", "edited", "old-parser")
    assert plan.has_work


def test_planning_retries_a_rejected_file_once_its_bytes_change():
    plan = plan_refresh(
        [raw("bad", "fixed")],
        {},
        {"bad.txt": ("broken", "reason")},
        ingest_version="1",
        extract_version="e1",
    )
    assert plan.new == ("bad",)


def test_planning_nothing_changed_means_no_work():
    plan = plan_refresh(
        [raw("a", "s")], {"a": state("s")}, {}, ingest_version="1", extract_version="e1"
    )
    assert not plan.has_work and plan.unchanged == ("a",)


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ([], []),
        (["a", "b", "c"], [("a", "c")]),
        (["b"], [("b", "b")]),
        (["a", "c", "d"], [("a", "a"), ("c", "d")]),
        (["e", "a"], [("a", "a"), ("e", "e")]),
    ],
)
def test_planning_contiguous_ranges(keys, expected):
    assert contiguous_ranges(keys, ["a", "b", "c", "d", "e"]) == expected
