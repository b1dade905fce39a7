"""Parsing: formats recognised from content, the seeds, and every kind of bad input."""

from __future__ import annotations

import pytest

from podcast_assets.identity import episode_key
from podcast_assets.models import SourceFormat
from podcast_assets.parsing import ParseError, detect_format, parse_bytes

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
        keys.add(episode_key(parsed.identity, "0" * 64))
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
