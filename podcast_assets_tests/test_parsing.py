"""Parsing: formats recognised from content, the seeds, and every kind of bad input."""

from __future__ import annotations

import itertools
import tracemalloc
from collections.abc import Callable

import pytest

from podcast_assets.identity import episode_key
from podcast_assets.models import SourceFormat
from podcast_assets.parsing import (
    MAX_YAML_ALIASES,
    MAX_YAML_DEPTH,
    MAX_YAML_TEXT_CHARS,
    MAX_YAML_VALUES,
    ParseError,
    detect_format,
    parse_bytes,
)

from .conftest import SEED_ENRICHED_881, SEED_ENRICHED_886, SEED_PLAIN_881, SEED_TIMESTAMPED

VTT = """WEBVTT

1
00:00:01.000 --> 00:00:04.250
<v Jon Krohn>This is episode number 12 with Ada Lovelace.

00:00:04.250 --> 00:00:09.000
<v Ada Lovelace>Thanks! I work on <i>analytical engines</i> at Babbage Labs.
"""

SRT = """1
00:00:01,000 --> 00:00:03,500
Welcome to the Data Engineering Podcast.

2
00:00:03,500 --> 00:00:07,000
I'm your host, Tobias Macey.
"""


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (SEED_ENRICHED_886, SourceFormat.ENRICHED_PAGE),
        (SEED_ENRICHED_881, SourceFormat.ENRICHED_PAGE),
        (SEED_PLAIN_881, SourceFormat.PLAIN_TRANSCRIPT),
        (SEED_TIMESTAMPED, SourceFormat.TIMESTAMPED_TRANSCRIPT),
    ],
)
def test_parsing_recognises_seed_formats_from_content(seeds_dir, name, expected):
    parsed = parse_bytes((seeds_dir / name).read_bytes(), name)
    assert parsed.source_format == expected
    assert parsed.encoding == "utf-8"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (VTT, SourceFormat.WEBVTT),
        ("\ufeffWEBVTT\n\n00:01.000 --> 00:02.000\nhi\n", SourceFormat.WEBVTT),
        (SRT, SourceFormat.SUBRIP),
        ("---\ntitle: x\n---\n", SourceFormat.ENRICHED_PAGE),
        ("[00:00:00.000 --> 00:00:01.000]  hi\n", SourceFormat.TIMESTAMPED_TRANSCRIPT),
        ("Just words.\nMore words.", SourceFormat.PLAIN_TRANSCRIPT),
    ],
)
def test_parsing_detect_format(text, expected):
    assert detect_format(text.lstrip("\ufeff")) == expected


def test_parsing_enriched_page_keeps_analyser_fields(seeds_dir):
    parsed = parse_bytes((seeds_dir / SEED_ENRICHED_881).read_bytes(), SEED_ENRICHED_881)
    assert parsed.title.startswith("881: Beyond GPUs")
    assert parsed.published_at.isoformat() == "2025-04-22T10:56:00+00:00"
    assert parsed.duration_seconds == 77 * 60
    assert parsed.segments == ()
    assert parsed.identity.show == "Super Data Science"
    assert parsed.identity.episode_number == 881
    assert parsed.identity.guests == ("Emily Webber",)
    fm = parsed.front_matter
    for key in ("companies", "quotes", "topics", "insights", "summary", "tags", "original_url"):
        assert key in fm
    assert len(fm["companies"]) == 93


def test_parsing_plain_and_enriched_881_share_an_episode_key(seeds_dir):
    keys = set()
    for name in (SEED_ENRICHED_881, SEED_PLAIN_881):
        parsed = parse_bytes((seeds_dir / name).read_bytes(), name)
        identity = parsed.identity
        keys.add(episode_key(identity.show, identity.episode_number, None, name))
    assert keys == {"super-data-science:881"}


def test_parsing_timestamped_transcript_has_times_and_identity(seeds_dir):
    parsed = parse_bytes((seeds_dir / SEED_TIMESTAMPED).read_bytes(), SEED_TIMESTAMPED)
    first = parsed.segments[0]
    assert first.start_seconds == 0.0 and first.end_seconds == 5.0
    assert first.text.startswith("Scheduling on a supercomputer")
    assert parsed.identity.show == "Gradient Dissent"
    assert parsed.identity.host == "Lukas Biewald"
    assert parsed.identity.guests == ("Stefan Fabel",)
    assert parsed.duration_seconds == parsed.segments[-1].end_seconds


def test_parsing_segment_offsets_index_the_transcript(seeds_dir):
    parsed = parse_bytes((seeds_dir / SEED_PLAIN_881).read_bytes(), SEED_PLAIN_881)
    transcript = parsed.transcript
    for seg in parsed.segments:
        assert transcript[seg.char_start : seg.char_end] == seg.text
    assert parsed.word_count > 10_000


def test_parsing_webvtt_voice_tags_become_speakers():
    parsed = parse_bytes(VTT.encode(), "ep12.vtt")
    assert parsed.source_format == SourceFormat.WEBVTT
    assert [s.speaker for s in parsed.segments] == ["Jon Krohn", "Ada Lovelace"]
    assert parsed.segments[1].text == "Thanks! I work on analytical engines at Babbage Labs."
    assert parsed.segments[0].end_seconds == 4.25
    assert parsed.identity.episode_number == 12


def test_parsing_subrip_cues_and_host():
    parsed = parse_bytes(SRT.encode(), "tobias.srt")
    assert parsed.source_format == SourceFormat.SUBRIP
    assert [(s.start_seconds, s.end_seconds) for s in parsed.segments] == [(1.0, 3.5), (3.5, 7.0)]
    assert parsed.identity.show == "Data Engineering"
    assert parsed.identity.host == "Tobias Macey"


def test_parsing_cp1252_fallback_is_recorded():
    raw = "Welcome to the Café Podcast \u2014 it\u2019s great.".encode("cp1252")
    parsed = parse_bytes(raw, "cafe.txt")
    assert parsed.encoding == "cp1252"
    assert "Café" in parsed.segments[0].text


BAD_INPUTS = [
    pytest.param(b"", "file is empty", id="empty"),
    pytest.param(b"  \n\n ", "file is empty", id="whitespace"),
    pytest.param(bytes(range(256)) * 4, "NUL byte at offset 0", id="random-bytes"),
    pytest.param(b"hello\x00world", "NUL byte at offset 5", id="nul-byte"),
    pytest.param(
        b"\x01\x02\x03\x04\x05\x06\x07\x08" * 10 + b"text", "control characters", id="binary"
    ),
    pytest.param(
        b"---\ntitle: [unclosed\ndate: 2025-01-01\n---\n",
        "YAML front matter is not valid YAML",
        id="broken-yaml",
    ),
    pytest.param(b"---\n- a\n- b\n---\nbody\n", "is a list, not a mapping", id="yaml-list"),
    pytest.param(b"---\n---\nbody\n", "is empty, not a mapping", id="yaml-empty"),
    pytest.param(b"---\ntitle: x\nno closing line\n", "never closes", id="yaml-unclosed"),
    pytest.param(
        b"---\ntitle: !!python/object/apply:os.system ['echo pwned']\n---\n",
        "could not determine a constructor",
        id="yaml-python-tag",
    ),
    pytest.param(b"---\ndate: not a date\n---\n", "`date` is not a date", id="bad-date"),
    pytest.param(
        b"1\n00:00:05,000 --> 00:00:02,000\nhello\n\n",
        "cue 1: cue ends at 00:00:02,000 before it starts at 00:00:05,000",
        id="srt-backwards-cue",
    ),
    pytest.param(
        b"WEBVTT\n\n00:00:09.000 --> 00:00:03.000\nhello\n",
        "cue 1: cue ends at 00:00:03.000 before it starts at 00:00:09.000",
        id="vtt-backwards-cue",
    ),
    pytest.param(
        b"[00:00:05.000 --> 00:00:01.000]  hello\n",
        "line 1: cue ends at 00:00:01.000 before it starts at 00:00:05.000",
        id="bracket-backwards-cue",
    ),
]


@pytest.mark.parametrize(("raw", "reason"), BAD_INPUTS)
def test_parsing_bad_input_has_a_specific_reason_naming_the_file(raw, reason):
    with pytest.raises(ParseError) as info:
        parse_bytes(raw, "bad file.txt")
    assert str(info.value).startswith("bad file.txt: ")
    assert reason in str(info.value)


def test_parsing_yaml_tags_never_construct_objects(tmp_path):
    marker = tmp_path / "pwned"
    raw = f"---\ntitle: !!python/object/apply:os.system ['touch {marker}']\n---\n".encode()
    with pytest.raises(ParseError):
        parse_bytes(raw, "evil.txt")
    assert not marker.exists()


# --- hostile front matter and unexpected library errors -----------------------------------

TOO_DEEP = f"nested deeper than {MAX_YAML_DEPTH} levels (limit {MAX_YAML_DEPTH})"
TOO_MANY_VALUES = (
    f"would expand to more than {MAX_YAML_VALUES:,} values (limit {MAX_YAML_VALUES:,})"
)
TOO_MUCH_TEXT = f"characters of text (limit {MAX_YAML_TEXT_CHARS:,})"
TOO_MANY_ALIASES = f"uses more than {MAX_YAML_ALIASES} aliases (limit {MAX_YAML_ALIASES})"
# Rejecting a bomb reads a few parser events; the old path built tens of MB to GBs of JSON.
MAX_REJECTION_PEAK_BYTES = 10 * 1024 * 1024


def front_matter(body: str) -> bytes:
    return f"---\ntitle: Episode 12\n{body}\n---\nbody\n".encode()


def billion_laughs(levels: int, width: int = 9) -> bytes:
    """`a` holds `width` strings and every next anchor `width` aliases of the previous one."""
    names = "abcdefghijklmnopqrstuvwxyz"[:levels]
    strings = ", ".join(['"lol"'] * width)
    lines = [f"a: &a [{strings}]"]
    for prev, name in itertools.pairwise(names):
        aliases = ", ".join([f"*{prev}"] * width)
        lines.append(f"{name}: &{name} [{aliases}]")
    return front_matter("\n".join(lines))


def nested_block_mappings(depth: int) -> str:
    return "d:\n" + "".join(f"{'  ' * (i + 1)}k{i}:\n" for i in range(depth)) + "  " * depth + "  x"


def peak_memory_of(call: Callable[[], object]) -> int:
    """Peak bytes traced while `call` runs, so a test can assert memory stays bounded."""
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def rejection(raw: bytes, name: str = "hostile.txt") -> tuple[ParseError, int]:
    errors: list[ParseError] = []

    def reject() -> None:
        with pytest.raises(ParseError) as info:
            parse_bytes(raw, name)
        errors.append(info.value)

    peak = peak_memory_of(reject)
    return errors[0], peak


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("d: " + "[" * 1000 + "]" * 1000, id="flow-sequences-1000"),
        pytest.param("d: " + "{k: " * 1000 + "x" + "}" * 1000, id="flow-mappings-1000"),
        pytest.param("d: " + "[" * 500 + "]" * 500, id="flow-sequences-500"),
        pytest.param(nested_block_mappings(1000), id="block-mappings-1000"),
        pytest.param("d:\n  " + "- " * 1000 + "x", id="block-sequences-1000"),
        pytest.param("d: " + "[" * MAX_YAML_DEPTH + "]" * MAX_YAML_DEPTH, id="one-over-the-limit"),
        pytest.param(
            "a: &a " + "[" * 40 + "]" * 40 + "\nb: " + "[" * 30 + "*a" + "]" * 30,
            id="deep-through-an-alias",
        ),
    ],
)
def test_parsing_deeply_nested_front_matter_is_rejected_naming_the_depth_limit(body):
    error, peak = rejection(front_matter(body))
    assert error.source_file == "hostile.txt"
    assert error.reason == f"YAML front matter is {TOO_DEEP}"
    assert peak < MAX_REJECTION_PEAK_BYTES


def test_parsing_front_matter_at_the_depth_limit_is_accepted():
    # The top-level mapping is the first level.
    inner = MAX_YAML_DEPTH - 1
    parsed = parse_bytes(front_matter("d: " + "[" * inner + "7" + "]" * inner), "deep.txt")
    value = parsed.front_matter["d"]
    for _ in range(inner):
        (value,) = value
    assert value == 7


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        pytest.param(billion_laughs(7), TOO_MANY_VALUES, id="billion-laughs-7-levels"),
        pytest.param(billion_laughs(9), TOO_MANY_VALUES, id="billion-laughs-9-levels"),
        pytest.param(
            front_matter("a: &a " + "x" * 100_000 + "\nb: [" + ", ".join(["*a"] * 90) + "]"),
            TOO_MUCH_TEXT,
            id="long-text-repeated",
        ),
        pytest.param(
            front_matter("a: &a x\nb: [" + ", ".join(["*a"] * (MAX_YAML_ALIASES + 1)) + "]"),
            TOO_MANY_ALIASES,
            id="one-alias-over-the-limit",
        ),
        pytest.param(
            front_matter("loop: &loop [1, *loop]"),
            "alias *loop refers to a node that contains it, so it would expand forever",
            id="self-referencing-alias",
        ),
    ],
)
def test_parsing_yaml_alias_bombs_are_rejected_with_bounded_memory(raw, reason):
    error, peak = rejection(raw)
    assert str(error).startswith("hostile.txt: YAML front matter ")
    assert reason in error.reason
    assert peak < MAX_REJECTION_PEAK_BYTES


def test_parsing_front_matter_with_aliases_up_to_the_limit_is_accepted():
    guests = ", ".join(["*guest"] * (MAX_YAML_ALIASES - 1))
    body = f"host: &guest {{name: Ada Lovelace, role: guest}}\nguests: [{guests}]\ncohost: *guest"
    parsed = parse_bytes(front_matter(body), "aliases.txt")
    fm = parsed.front_matter
    assert fm["guests"] == [{"name": "Ada Lovelace", "role": "guest"}] * (MAX_YAML_ALIASES - 1)
    assert fm["cohost"] == fm["host"]
    assert parsed.title == "Episode 12"


def test_parsing_front_matter_merge_keys_still_work():
    parsed = parse_bytes(front_matter("base: &b {x: 1}\nd: {<<: *b, y: 2}"), "merge.txt")
    assert parsed.front_matter["d"] == {"x": 1, "y": 2}


SRT_HEAD = "1\n00:00:01,000 --> 00:00:02,000\nhi\n\n2\n"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        pytest.param(
            f"{SRT_HEAD}99999999999:00:00,000 --> 99999999999:00:01,000\nthere\n\n".encode(),
            "could not be parsed: OverflowError: Python int too large to convert to C int",
            id="srt-hours-overflow-timedelta",
        ),
        pytest.param(
            f"{SRT_HEAD}{'1' * 5000}:00:00,000 --> 00:00:01,000\nthere\n\n".encode(),
            "could not be parsed: ValueError: Exceeds the limit (4300 digits)",
            id="srt-hours-too-many-digits",
        ),
        pytest.param(
            front_matter(f"duration: {'1' * 5000}"),
            "could not be parsed: ValueError: Exceeds the limit (4300 digits)",
            id="yaml-int-too-many-digits",
        ),
        pytest.param(
            front_matter(f"duration: {'9' * 400}"),
            "could not be parsed: OverflowError: int too large to convert to float",
            id="yaml-duration-overflows-float",
        ),
        pytest.param(
            front_matter("extra: {2025-01-01: launch}"),
            "could not be parsed: TypeError: keys must be str, int, float, bool or None",
            id="yaml-date-key-not-json",
        ),
    ],
)
def test_parsing_unexpected_library_errors_become_parse_errors_naming_the_file(raw, reason):
    with pytest.raises(ParseError) as info:
        parse_bytes(raw, "bad file.txt")
    assert info.value.source_file == "bad file.txt"
    assert str(info.value).startswith(f"bad file.txt: {reason}")


@pytest.mark.parametrize(
    ("title", "number"),
    [
        ("Episode 57: Rebel Rubes", 57),
        ("881: Beyond GPUs", 881),
        ("#12 - Twelve", 12),
        ("Ep. 3 | Three", 3),
        ("2024: The year in review", None),
        ("1.5 million downloads: what now", None),
        ("Reading the clouds", None),
    ],
)
def test_parsing_the_number_a_title_opens_with(title, number):
    from podcast_assets.identity import title_number

    assert title_number(title) == number
