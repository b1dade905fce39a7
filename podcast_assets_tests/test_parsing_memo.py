"""A refresh parses each new file once: planning's pre-parse is what its ingest step uses."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from podcast_assets.models import RawFile
from podcast_assets.parsing import parse_bytes
from podcast_assets.parsing.memo import PARSES, ParseMemo
from podcast_assets.steps import ingest

SRT = b"1\n00:00:01,000 --> 00:00:03,000\nAnna: Hello from the studio.\n"


def sha(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


@pytest.fixture
def empty_memo() -> Iterator[None]:
    PARSES.forget()
    yield
    PARSES.forget()


def raw_file(path: Path) -> RawFile:
    return RawFile(path.stem, str(path), path.name, sha(path.read_bytes()), path.stat().st_size)


def test_parsing_memo_gives_a_parse_back_once_for_the_same_bytes_and_name():
    memo = ParseMemo()
    parsed = parse_bytes(SRT, "a.srt")
    assert memo.keep(sha(SRT), "a.srt", parsed, len(SRT))
    assert memo.take(sha(SRT), "b.srt") is None  # another name: its errors would say "a.srt"
    assert memo.take(sha(SRT + b" "), "a.srt") is None  # changed since planning
    assert memo.take(sha(SRT), "a.srt") is parsed
    assert memo.take(sha(SRT), "a.srt") is None
    assert len(memo) == 0


def test_parsing_memo_keeps_nothing_past_its_budget_and_frees_what_is_taken():
    memo = ParseMemo(budget_bytes=2 * len(SRT))
    parsed = parse_bytes(SRT, "a.srt")
    assert memo.keep("1", "a.srt", parsed, len(SRT))
    assert memo.keep("2", "a.srt", parsed, len(SRT))
    assert not memo.keep("3", "a.srt", parsed, len(SRT))
    assert memo.take("1", "a.srt") is parsed
    assert memo.keep("3", "a.srt", parsed, len(SRT))
    memo.forget()
    assert len(memo) == 0 and memo.take("2", "a.srt") is None


def test_parsing_memo_pre_parse_keeps_good_files_only_when_asked(tmp_path: Path, empty_memo):
    good, bad = tmp_path / "good.srt", tmp_path / "bad.json"
    good.write_bytes(SRT)
    bad.write_bytes(b'{"segments": "not a list"}')
    files = [raw_file(good), raw_file(bad)]

    assert ingest.expected_rejections(files) == {"bad"}
    assert len(PARSES) == 0  # a sensor's pre-parse: its runs are other processes

    assert ingest.expected_rejections(files, keep_parses=True) == {"bad"}
    assert len(PARSES) == 1
    at = datetime(2026, 1, 1, tzinfo=UTC)
    from_memo = ingest.file_rows("good", good.name, SRT, ingested_at=at)
    assert len(PARSES) == 0  # taken by the ingest step
    assert from_memo == ingest.file_rows("good", good.name, SRT, ingested_at=at)
