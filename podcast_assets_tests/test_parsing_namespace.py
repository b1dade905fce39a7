"""The Podcast Namespace's JSON and HTML transcripts: times, speakers, text, and bad files."""

from __future__ import annotations

import json

import pytest

from podcast_assets.models import SourceFormat
from podcast_assets.parsing import ParseError, detect_format, parse_bytes


def _json(segments: object, **extra: object) -> bytes:
    return json.dumps({"version": "1.0.0", "segments": segments, **extra}).encode()


def seg(speaker: str | None, start: float, end: float, body: str) -> dict[str, object]:
    out: dict[str, object] = {"startTime": start, "endTime": end, "body": body}
    if speaker is not None:
        out["speaker"] = speaker
    return out


BUZZCAST = [
    seg("Kevin Finn", 0.0, 1.2, "Welcome to"),
    seg("Kevin Finn", 1.2, 2.5, "Buzzcast, episode 12."),
    seg("Travis Albritton", 2.9, 4.0, "Thanks, Kevin. Today we talk transcripts."),
    seg("Unknown", 4.2, 5.0, "Hello?"),
]


def test_json_transcript_has_times_speakers_and_no_json_syntax_in_text():
    parsed = parse_bytes(_json(BUZZCAST), "buzzcast.json")
    assert parsed.source_format is SourceFormat.PODCAST_JSON
    rows = [(s.start_seconds, s.end_seconds, s.speaker, s.text) for s in parsed.segments]
    assert rows == [
        (0.0, 2.5, "Kevin Finn", "Welcome to Buzzcast, episode 12."),
        (2.9, 4.0, "Travis Albritton", "Thanks, Kevin. Today we talk transcripts."),
        (4.2, 5.0, None, "Hello?"),
    ]
    assert parsed.duration_seconds == 5.0
    assert not any(c in parsed.transcript for c in '{}"')


def test_json_word_level_segments_become_sentences_of_one_speaker():
    words = ["I", "am", "your", "father.", "No", "that", "is", "not", "true."]
    segments = [
        seg("Vader" if i < 4 else "Luke", i * 0.5, i * 0.5 + 0.4, w) for i, w in enumerate(words)
    ]
    parsed = parse_bytes(_json(segments), "vader.txt")  # any extension: content decides
    assert [(s.speaker, s.text) for s in parsed.segments] == [
        ("Vader", "I am your father."),
        ("Luke", "No that is not true."),
    ]


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b'[{"body": "x"}]', "the top level is a list"),
        (b'{"version": "1.0.0"}', "has no `segments`"),
        (b'{"segments": {"a": 1}}', "`segments` that is not a list"),
        (_json([{"startTime": 0, "endTime": 1}]), "segment 1 has no `body`"),
        (_json([seg("A", "0:01", 2, "x")]), '`startTime` is "0:01" (string), not a number'),
        (_json([seg("A", True, 2, "x")]), "`startTime` is true (boolean)"),
        (_json([seg("A", 5, 2, "x")]), "segment 1: endTime 2 is before startTime 5"),
        (_json([seg("A", 0, 1, "   ")]), "no segment with text"),
        (b'{"segments": [', "is not valid JSON"),
    ],
)
def test_json_that_is_not_the_transcript_schema_is_rejected_with_its_reason(raw, says):
    with pytest.raises(ParseError, match=None) as err:
        parse_bytes(raw, "bad.json")
    assert says in str(err.value)
    assert str(err.value).startswith("bad.json: ")


HTML = """<!DOCTYPE html>
<html><head><title>Buzzcast 12</title><style>p { color: red }</style>
<script>var segments = "<p>not text</p>";</script></head>
<body>
<cite>Kevin Finn:</cite>
<time>0:00</time>
<p>Welcome to Buzzcast &amp; friends.</p>
<time>0:41</time>
<p>Second <b>paragraph</b><br>on two lines.</p>
<cite>Travis Albritton:</cite>
<time>1:02:03</time>
<p>Thanks, Kevin.
<p><cite>Kevin Finn:</cite> <time>1:02:30</time> Inline label and time.</p>
</body></html>
"""


def test_html_transcript_gives_a_segment_per_paragraph_with_its_time_and_speaker():
    parsed = parse_bytes(HTML.encode(), "buzzcast.html")
    assert parsed.source_format is SourceFormat.HTML_TRANSCRIPT
    rows = [(s.start_seconds, s.end_seconds, s.speaker, s.text) for s in parsed.segments]
    assert rows == [
        (0.0, 41.0, "Kevin Finn", "Welcome to Buzzcast & friends."),
        (41.0, 3723.0, "Kevin Finn", "Second paragraph on two lines."),
        (3723.0, 3750.0, "Travis Albritton", "Thanks, Kevin."),
        (3750.0, None, "Kevin Finn", "Inline label and time."),
    ]
    assert "<" not in parsed.transcript and "&amp;" not in parsed.transcript


def test_html_paragraphs_that_hold_only_a_time_set_the_next_start():
    page = "<html><body><p>3:17 </p><p>So I won't say.</p><p></p><p>3:25</p><p>Exactly.</p>"
    parsed = parse_bytes(page.encode(), "lbs.html")
    assert [(s.start_seconds, s.text) for s in parsed.segments] == [
        (197.0, "So I won't say."),
        (205.0, "Exactly."),
    ]


def test_html_without_paragraphs_is_rejected():
    with pytest.raises(ParseError, match="no <p> paragraph"):
        parse_bytes(b"<html><body><div>just a div</div></body></html>", "empty.html")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"version": "1.0.0", "segments": []}', SourceFormat.PODCAST_JSON),
        ('[{"body": "x"}]', SourceFormat.PODCAST_JSON),
        ("[Music]\nWelcome to the show.", SourceFormat.PLAIN_TRANSCRIPT),
        ("[00:00:05] Hello.\n[00:00:09] World.", SourceFormat.PLAIN_TRANSCRIPT),
        ("<laughs> Welcome, everyone.", SourceFormat.PLAIN_TRANSCRIPT),
        ('<?xml version="1.0"?><tt><body><p>x</p></body></tt>', SourceFormat.HTML_TRANSCRIPT),
        ("[00:00:01 --> 00:00:02] Hello", SourceFormat.TIMESTAMPED_TRANSCRIPT),
        ("<!DOCTYPE html><p>x</p>", SourceFormat.HTML_TRANSCRIPT),
        ("<cite>A:</cite><p>x</p>", SourceFormat.HTML_TRANSCRIPT),
        ('<?xml version="1.0"?>\n<rss version="2.0"><channel/></rss>', SourceFormat.RSS_FEED),
    ],
)
def test_json_html_and_feeds_are_recognised_from_content(text, expected):
    assert detect_format(text) is expected


def test_subrip_without_cue_numbers_is_still_read_as_cues():
    text = (
        "00:00:00.000 --> 00:00:05.000\nI think in terms of news.\n\n\n"
        "00:00:05.000 --> 00:00:10.000\nSo that's the conference.\n"
    )
    parsed = parse_bytes(text.encode(), "Episode 17.srt")
    assert parsed.source_format is SourceFormat.SUBRIP
    assert [(s.start_seconds, s.end_seconds, s.text) for s in parsed.segments] == [
        (0.0, 5.0, "I think in terms of news."),
        (5.0, 10.0, "So that's the conference."),
    ]


def test_webvtt_character_references_are_decoded():
    vtt = "WEBVTT\n\n00:00.000 --> 00:02.000\n<v Sarah>Welcome to Podcasting Q&amp;A &lt;3\n"
    (segment,) = parse_bytes(vtt.encode(), "qa.vtt").segments
    assert (segment.speaker, segment.text) == ("Sarah", "Welcome to Podcasting Q&A <3")


def test_html_definition_lists_name_their_speakers():
    page = "<dl><dt>Jen</dt><dd><p>This is The Web Ahead.<p>Number 60.</dd><dt>Doug</dt><dd><p>Hi."
    parsed = parse_bytes(page.encode(), "webahead.html")
    assert [(s.speaker, s.text) for s in parsed.segments] == [
        ("Jen", "This is The Web Ahead."),
        ("Jen", "Number 60."),
        ("Doug", "Hi."),
    ]


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (  # HTML5 lets a page leave out `</head>`
            "<!DOCTYPE html><html><head><meta charset=utf-8><title>T</title><body><p>Hi.</p>",
            [(None, None, "Hi.")],
        ),
        (  # a <cite> after words is a quoted title, not a speaker
            "<cite>Alice:</cite><p>I read <cite>The Hobbit</cite> last year.</p><p>Great.</p>",
            [("Alice", None, "I read The Hobbit last year."), ("Alice", None, "Great.")],
        ),
        (  # a <time> inside the <cite> that opens a paragraph
            "<p><cite>Alice <time>0:05</time></cite> Hello world.</p><p><cite>Bob</cite> Bye.</p>",
            [("Alice", 5.0, "Hello world."), ("Bob", 5.0, "Bye.")],
        ),
    ],
)
def test_html_pages_as_they_are_written(page, expected):
    segments = parse_bytes(page.encode(), "page.html").segments
    assert [(s.speaker, s.start_seconds, s.text) for s in segments] == expected


def test_a_line_of_capitals_and_underscores_costs_no_time():
    # Before: `A_A_A...` made the label pattern backtrack for minutes on one line.
    line = "A_" * 4000 + "a"
    parsed = parse_bytes(((line + "\n") * 20).encode(), "long.txt")
    assert parsed.segments[0].speaker is None


def test_json_and_html_speakers_keep_a_written_role_apart_from_the_name():
    """As a text label's: `Leo Dion (Host)` is Leo Dion, host; a time or a note on how the
    line was said is neither name nor role."""
    segments = [
        seg("Leo Dion (Host)", 0.0, 1.0, "Welcome back."),
        seg("Tim Mitra (guest)", 1.5, 2.0, "Thanks."),
        seg("Leo Dion (laughing)", 2.5, 3.0, "Great."),
        seg("Ana Lima", 3.5, 4.0, "Hi."),
    ]
    parsed = parse_bytes(_json(segments), "yak.json")
    assert [(s.speaker, s.speaker_role) for s in parsed.segments] == [
        ("Leo Dion", "host"),
        ("Tim Mitra", "guest"),
        ("Leo Dion", None),
        ("Ana Lima", None),
    ]
    page = (
        "<html><body><cite>Leo Dion (Host):</cite><p>Welcome back.</p>"
        "<cite>Tim Mitra (00:05):</cite><p>Thanks.</p>"
        "<cite>Unknown (guest):</cite><p>Who is this?</p></body></html>"
    )
    parsed = parse_bytes(page.encode(), "yak.html")
    assert [(s.speaker, s.speaker_role, s.text) for s in parsed.segments] == [
        ("Leo Dion", "host", "Welcome back."),
        ("Tim Mitra", None, "Thanks."),
        (None, None, "Who is this?"),
    ]
