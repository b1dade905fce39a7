"""Planning a refresh: the one classification the CLI, sensor and schedule share."""

from __future__ import annotations

import pytest

from podcast_assets.models import PartitionState, RawFile
from podcast_assets.planning import (
    Batch,
    BatchKind,
    contiguous_ranges,
    plan_batches,
    plan_refresh,
    plan_tick,
)


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


def test_planning_batches_give_an_expected_rejection_its_own_run():
    files = [raw(k, k) for k in "abcde"]
    plan = plan_refresh(files, {}, {}, ingest_version="1", extract_version="e1")
    batches = plan_batches(plan, list("abcde"), expected_rejections={"c"})
    assert batches == [
        Batch(BatchKind.EXPECTED_REJECTION, ("c",)),
        Batch(BatchKind.INGEST_AND_EXTRACT, ("a", "b")),
        Batch(BatchKind.INGEST_AND_EXTRACT, ("d", "e")),
    ]
    assert batches[0].partition_key == "c" and batches[1].partition_key is None


def test_planning_batches_run_extract_only_work_separately():
    files = [raw("a", "s"), raw("b", "new")]
    states = {"a": state("s", extract="e0")}
    plan = plan_refresh(files, states, {}, ingest_version="1", extract_version="e1")
    assert plan_batches(plan, ["a", "b"]) == [
        Batch(BatchKind.INGEST_AND_EXTRACT, ("b",)),
        Batch(BatchKind.EXTRACT_ONLY, ("a",)),
    ]


def tick(files, states, *, registered, busy=None, unregister_removed=True):
    plan = plan_refresh(files, states, {}, ingest_version="1", extract_version="e1")
    return plan_tick(
        plan,
        states,
        versions=("1", "e1"),
        registered=registered,
        busy=busy or {},
        vanished_rejections=(),
        refusals=(),
        expected_rejections=(),
        unregister_removed=unregister_removed,
    )


def test_planning_tick_leaves_busy_partitions_alone_and_prunes_removed_files():
    files = [raw("a", "a2"), raw("b", "b2"), raw("new", "n")]
    states = {"a": state("a1"), "b": state("b1"), "gone": state("g")}
    planned = tick(files, states, registered=["a", "b", "gone"], busy={"b": "run-1"})
    assert planned.register == ("new",)
    assert planned.unregister == ("gone",)
    assert planned.prune == ("gone",)
    assert [b.keys for b in planned.batches] == [("a",), ("new",)]
    assert planned.busy == {"b": "run-1"}


def test_planning_run_keys_are_stable_and_change_with_the_starting_state():
    files = [raw("a", "a2")]
    first = tick(files, {"a": state("a1")}, registered=["a"])
    again = tick(files, {"a": state("a1")}, registered=["a"])
    later = tick(files, {"a": state("a0")}, registered=["a"])
    assert first.run_key("refresh_job", ("a",)) == again.run_key("refresh_job", ("a",))
    assert first.run_key("refresh_job", ("a",)) != later.run_key("refresh_job", ("a",))
    assert first.run_key("prune_job", ("a", "b"), is_list=True).startswith("prune_job:a+1@")


def test_split_batches_cuts_ranges_into_contiguous_shares_and_keeps_rejections_alone():
    from podcast_assets.planning import Batch, BatchKind, split_batches

    keys = tuple(f"ep{i:02d}" for i in range(10))
    bad = Batch(BatchKind.EXPECTED_REJECTION, ("broken",))
    parts = split_batches([Batch(BatchKind.INGEST_AND_EXTRACT, keys), bad], 4)
    ranges = [p.keys for p in parts if p.kind == BatchKind.INGEST_AND_EXTRACT]
    assert [len(r) for r in ranges] == [3, 3, 3, 1]
    assert tuple(k for r in ranges for k in r) == keys  # disjoint, in order, nothing lost
    assert parts[-1] == bad
    assert split_batches([Batch(BatchKind.EXTRACT_ONLY, keys[:2])], 4) == [
        Batch(BatchKind.EXTRACT_ONLY, ("ep00",)),
        Batch(BatchKind.EXTRACT_ONLY, ("ep01",)),
    ]
    assert split_batches([Batch(BatchKind.INGEST_AND_EXTRACT, keys)], 1) == [
        Batch(BatchKind.INGEST_AND_EXTRACT, keys)
    ]
