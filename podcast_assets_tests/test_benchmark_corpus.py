"""The benchmark corpus generator: deterministic, every format well-formed, stats truthful.

Checks read the files back independently of the generator's own bookkeeping, so a format bug
cannot hide behind matching stats.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest
import srt
import webvtt
import yaml

from benchmarks.corpus import (
    ALL_FORMATS,
    MAX_TRANSCRIPT_WORDS,
    MIN_TRANSCRIPT_WORDS,
    NATURAL_EXTENSIONS,
    CorpusStats,
    generate_corpus,
    iter_corpus,
    main,
)

N = 20
NAME_RE = re.compile(r"^bench_(\d{5})_([a-z_]+)(\.\w+)$")
TS_LINE_RE = re.compile(
    r"^\[(\d\d):(\d\d):(\d\d)\.(\d{3}) --> (\d\d):(\d\d):(\d\d)\.(\d{3})\]   \S"
)
VTT_TIMING_RE = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) --> (\d\d):(\d\d):(\d\d)\.(\d{3})$")
SRT_TIMING_RE = re.compile(r"^(\d\d):(\d\d):(\d\d),(\d{3}) --> (\d\d):(\d\d):(\d\d),(\d{3})$")
VOICE_RE = re.compile(r"^<v ([^>]+)>")
EPISODE_RE = re.compile(r"This is episode number (\d+) with ")
HOST_RE = re.compile(r"I'm your host, [A-Z][a-z]+ [A-Z][a-z]+")

# Generates whole corpora: benchmark tooling, seconds per test.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, CorpusStats]:
    out = tmp_path_factory.mktemp("corpus")
    return out, generate_corpus(out, N, seed=0)


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def _format_of(path: Path) -> str:
    match = NAME_RE.match(path.name)
    assert match, path.name
    return match.group(2)


def _millis(groups: tuple[str, ...]) -> tuple[int, int]:
    h1, m1, s1, ms1, h2, m2, s2, ms2 = map(int, groups)
    return ((h1 * 60 + m1) * 60 + s1) * 1000 + ms1, ((h2 * 60 + m2) * 60 + s2) * 1000 + ms2


def _front_matter(text: str) -> dict:
    lines = text.split("\n")
    assert lines[0] == "---"
    return yaml.safe_load("\n".join(lines[1 : lines.index("---", 1)]))


def _spoken(path: Path) -> str:
    """The transcript words of a file, re-read from its content (not from the generator)."""
    text = path.read_text(encoding="utf-8")
    fmt = _format_of(path)
    if fmt == "plain_transcript":
        return text
    if fmt == "timestamped_transcript":
        return "\n".join(line.split("]", 1)[1] for line in text.splitlines() if line)
    if fmt == "webvtt":
        return "\n".join(VOICE_RE.sub("", c.raw_text) for c in webvtt.from_string(text))
    if fmt == "subrip":
        return "\n".join(s.content for s in srt.parse(text))
    if fmt == "podcast_json":
        return "\n".join(s["body"] for s in json.loads(text)["segments"])
    if fmt == "html_transcript":
        return "\n".join(
            html.unescape(p) for p in re.findall(r"<p>(.*?)</p>", text, flags=re.DOTALL)
        )
    return ""


def _cue_times(path: Path) -> list[tuple[int, int]]:
    text = path.read_text(encoding="utf-8")
    fmt = _format_of(path)
    if fmt == "timestamped_transcript":
        lines = [line for line in text.splitlines() if line]
        assert all(TS_LINE_RE.match(line) for line in lines)
        return [_millis(TS_LINE_RE.match(line).groups()) for line in lines]
    timing_re = VTT_TIMING_RE if fmt == "webvtt" else SRT_TIMING_RE
    blocks = text.strip("\n").split("\n\n")
    if fmt == "webvtt":
        assert blocks[0].split("\n")[0].split(" ")[0] == "WEBVTT"
        blocks = blocks[1:]
    times = []
    for number, block in enumerate(blocks, 1):
        lines = block.split("\n")
        if fmt == "subrip":
            assert lines[0] == str(number)
        timing = next(line for line in lines if "-->" in line)
        match = timing_re.match(timing)
        assert match, timing
        text_lines = lines[lines.index(timing) + 1 :]
        assert text_lines and all(line.strip() for line in text_lines)
        times.append(_millis(match.groups()))
    return times


def test_same_seed_is_byte_identical(corpus, tmp_path):
    out, _ = corpus
    generate_corpus(tmp_path, N, seed=0)
    assert _files(tmp_path) == _files(out)


def test_different_seed_differs(corpus, tmp_path):
    out, _ = corpus
    generate_corpus(tmp_path, N, seed=1)
    first, second = _files(out), _files(tmp_path)
    assert set(first.values()).isdisjoint(second.values())


def test_smaller_corpus_is_a_prefix(corpus, tmp_path):
    out, _ = corpus
    generate_corpus(tmp_path, 7, seed=0)
    smaller = _files(tmp_path)
    assert smaller == {name: data for name, data in _files(out).items() if name in smaller}
    assert len(smaller) == 7


@pytest.mark.parametrize("n", [7, 10, N])
def test_every_format_present(tmp_path, n):
    stats = generate_corpus(tmp_path, n, seed=3)
    assert {_format_of(p) for p in tmp_path.iterdir()} == set(ALL_FORMATS)
    assert all(stats.by_format[f] >= 1 for f in ALL_FORMATS)


def test_format_mix_and_extensions(corpus):
    out, stats = corpus
    # One schedule block of 20: mostly transcripts, 15% enriched pages.
    assert stats.by_format["enriched_page"] == 3
    paths = list(out.iterdir())
    assert all(p.suffix in {".txt", NATURAL_EXTENSIONS[_format_of(p)]} for p in paths)
    assert any(p.suffix == ".txt" and _format_of(p) in {"webvtt", "subrip"} for p in paths)
    assert any(p.suffix in {".vtt", ".srt", ".md"} for p in paths)


def test_content_matches_named_format(corpus):
    out, _ = corpus
    for path in out.iterdir():
        head = path.read_text(encoding="utf-8")[:200]
        expected = {
            "enriched_page": head.startswith("---\n"),
            "webvtt": head.startswith("WEBVTT"),
            "subrip": bool(re.match(r"1\n\d\d:\d\d:\d\d,\d{3} --> ", head)),
            "timestamped_transcript": bool(re.match(r"\n\[\d\d:\d\d:\d\d\.\d{3} --> ", head)),
            "plain_transcript": not re.match(r"---|WEBVTT|\d|\n\[|\{|<", head),
            "podcast_json": head.startswith('{"version": "1.0.0"')
            or head.startswith('{\n  "version": "1.0.0"'),
            "html_transcript": head.startswith("<!DOCTYPE html>"),
        }
        assert expected[_format_of(path)], path.name


def test_unique_episode_numbers_and_dates(corpus):
    out, _ = corpus
    numbers, dates = [], []
    for path in sorted(out.iterdir()):
        text = path.read_text(encoding="utf-8")
        if _format_of(path) == "enriched_page":
            page = _front_matter(text)
            numbers.append(int(page["title"].split(":", 1)[0]))
            dates.append(page["date"][:10])
        else:
            spoken = " ".join(_spoken(path).split())
            found = EPISODE_RE.findall(spoken)
            assert len(found) == 1, path.name
            assert HOST_RE.search(spoken), path.name
            numbers.append(int(found[0]))
            dates.append(re.search(r"published[a-z ]* on (\w+ \d+, \d{4})", spoken).group(1))
    assert len(set(numbers)) == len(numbers) == N
    assert len(set(dates)) == N


@pytest.mark.parametrize("fmt", ["timestamped_transcript", "webvtt", "subrip"])
def test_cues_well_formed_and_monotonic(corpus, fmt):
    out, _ = corpus
    paths = [p for p in out.iterdir() if _format_of(p) == fmt]
    assert paths
    for path in paths:
        times = _cue_times(path)
        assert len(times) > 100
        assert all(end > start for start, end in times)
        assert all(nxt[0] >= prev[1] for prev, nxt in pairwise(times))


def test_some_webvtt_cues_carry_voice_tags(tmp_path):
    generate_corpus(tmp_path, 6, seed=0, formats=["webvtt"])
    captions = [c for p in sorted(tmp_path.iterdir()) for c in webvtt.read(str(p))]
    voiced = [c for c in captions if c.voice]
    assert voiced and len(voiced) < len(captions)
    assert all(re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+", c.voice) for c in voiced)


def test_front_matter_parses(corpus):
    out, _ = corpus
    pages = [p for p in out.iterdir() if _format_of(p) == "enriched_page"]
    assert pages
    for path in pages:
        text = path.read_text(encoding="utf-8")
        page = _front_matter(text)
        assert isinstance(page, dict)
        assert {"title", "date", "companies"} <= page.keys()
        assert re.fullmatch(r"\d+: .+", page["title"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000", page["date"])
        assert page["companies"] and all("name" in c for c in page["companies"])
        assert page["has_transcript"] is False
        assert "&id" not in text  # no YAML aliases from shared objects


def test_transcript_lengths_realistic(corpus):
    out, _ = corpus
    for path in out.iterdir():
        if _format_of(path) != "enriched_page":
            words = len(_spoken(path).split())
            assert MIN_TRANSCRIPT_WORDS <= words <= MAX_TRANSCRIPT_WORDS, path.name


def test_stats_match_files_written(corpus):
    out, stats = corpus
    paths = sorted(out.iterdir())
    assert stats.files == len(paths) == N
    assert stats.bytes == sum(p.stat().st_size for p in paths)
    assert stats.words == sum(len(_spoken(p).split()) for p in paths)
    assert dict(stats.by_format) == dict(Counter(_format_of(p) for p in paths))


def test_iter_corpus_reports_each_file(tmp_path):
    generated = list(iter_corpus(tmp_path, 5, seed=2))
    assert [g.path for g in generated] == sorted(tmp_path.iterdir())
    assert all(g.bytes == g.path.stat().st_size for g in generated)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"formats": ["mp3"]}, "formats"), ({"formats": []}, "formats"), ({"n": -1}, "n must")],
)
def test_rejects_bad_arguments(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        generate_corpus(tmp_path, **{"n": 1, **kwargs})


def test_main_prints_stats(tmp_path, capsys):
    assert main([str(tmp_path), "--n", "3", "--seed", "5", "--formats", "subrip,webvtt"]) == 0
    printed = capsys.readouterr().out
    assert "files: 3" in printed
    assert "subrip=" in printed and "enriched_page" not in printed
    assert len(list(tmp_path.iterdir())) == 3
