"""Speaker labels as shows write them, in SubRip, WebVTT, bracketed and plain transcripts."""

from __future__ import annotations

import pytest

from podcast_assets.parsing import parse_bytes
from podcast_assets.parsing.speakers import accepted_labels, assign_speakers, split_label


def speakers_and_texts(raw: str, name: str) -> list[tuple[str | None, str]]:
    return [(s.speaker, s.text) for s in parse_bytes(raw.encode(), name).segments]


SRT = """1
00:00:00,000 --> 00:00:03,000
Adam Curry: podcasting 2.0 March
the 3rd 2023

2
00:00:03,000 --> 00:00:05,000
and this is the board meeting.

3
00:00:05,000 --> 00:00:07,000
Dave Jones: Hello, Adam.

4
00:00:07,000 --> 00:00:09,000
Unknown: Who's there?

5
00:00:09,000 --> 00:00:11,000
Adam Curry: Note: this is text.
"""


def test_subrip_name_prefixes_become_speakers_and_carry_over_wrapped_cues():
    assert speakers_and_texts(SRT, "pc20.srt") == [
        ("Adam Curry", "podcasting 2.0 March the 3rd 2023"),
        ("Adam Curry", "and this is the board meeting."),
        ("Dave Jones", "Hello, Adam."),
        (None, "Who's there?"),  # Unknown: is a speaker nobody knows, not a person
        ("Adam Curry", "Note: this is text."),
    ]


def test_webvtt_dialogue_marks_split_a_cue_into_utterances():
    vtt = (
        "WEBVTT\n\n00:00.000 --> 00:02.000\n- Ana Lima: Are you ready?\n- Ben Okafor: Yes.\n\n"
        "00:02.000 --> 00:04.000\n>> Ana Lima: Then we start.\n\n"
        "00:04.000 --> 00:06.000\n>> Ben Okafor: Go.\n"
    )
    assert [
        (s.start_seconds, s.speaker, s.text) for s in parse_bytes(vtt.encode(), "e.vtt").segments
    ] == [
        (0.0, "Ana Lima", "Are you ready?"),
        (0.0, "Ben Okafor", "Yes."),
        (2.0, "Ana Lima", "Then we start."),
        (4.0, "Ben Okafor", "Go."),
    ]


def test_webvtt_voice_tags_win_and_carry_over_untagged_cues():
    vtt = (
        "WEBVTT\n\n00:00.000 --> 00:02.000\n<v Travis>Hi there\n\n"
        "00:02.000 --> 00:04.000\nstill Travis\n\n00:04.000 --> 00:06.000\n<v Kevin>Hey\n"
    )
    assert speakers_and_texts(vtt, "v.vtt") == [
        ("Travis", "Hi there"),
        ("Travis", "still Travis"),
        ("Kevin", "Hey"),
    ]


def test_plain_transcripts_take_labels_on_their_own_line_and_markdown_bold_labels():
    plain = (
        "**Jerod Santo:** Welcome to the show.\n**Chris Coyier:** Thanks!\n"
        "**Jerod Santo:** Let's go.\n**Break:** [00:17:56]\n"
        "Chris Coyier:\nA label alone, then text.\n"
    )
    assert speakers_and_texts(plain, "changelog.md") == [
        ("Jerod Santo", "Welcome to the show."),
        ("Chris Coyier", "Thanks!"),
        ("Jerod Santo", "Let's go."),
        ("Jerod Santo", "**Break:** [00:17:56]"),  # a cue, not a person
        ("Chris Coyier", "A label alone, then text."),
    ]


def test_diarization_labels_are_kept_as_they_are():
    text = "[00:00:00 --> 00:00:02] SPEAKER_1: Hello.\n[00:00:02 --> 00:00:04] SPEAKER_2: Hi.\n"
    assert speakers_and_texts(text, "d.txt") == [("SPEAKER_1", "Hello."), ("SPEAKER_2", "Hi.")]


@pytest.mark.parametrize(
    "line",
    [
        "Note: this is not a speaker.",
        "Here is the thing: nobody knows.",
        "At 10:30 we met.",
        "so what I think is: yes",
        "https://example.com is the link",
    ],
)
def test_a_sentence_with_a_colon_stays_text(line):
    texts, speakers, roles = assign_speakers([line, line])
    assert texts == [line, line]
    assert speakers == [None, None] and roles == [None, None]


def test_a_single_word_label_needs_to_recur_to_be_a_speaker():
    assert accepted_labels(["Remember", None, None]) == frozenset()
    assert accepted_labels(["Adam", "Dave", "Adam", "Dave"]) == {"Adam", "Dave"}
    # A full name once, beside a recurring voice, is a guest who speaks once.
    assert accepted_labels(["Adam", "Adam", "Mia Wong"]) == {"Adam", "Mia Wong"}


def test_split_label_understands_every_mark():
    assert split_label(">> Ana Lima: hi").label == "Ana Lima"
    assert split_label("- Ana: hi").label == "Ana"
    assert split_label("**Ana:** hi").text == "hi"
    assert split_label("- no name here").turn and split_label("- no name here").label is None
    assert not split_label("plain words").turn


def test_a_role_after_the_name_is_not_part_of_it():
    srt = (
        "1\n00:00:00,000 --> 00:00:02,000\nLeo Dion (host): Welcome back.\n\n"
        "2\n00:00:02,000 --> 00:00:04,000\nTim Mitra (guest): Thanks for having me.\n\n"
        "3\n00:00:04,000 --> 00:00:06,000\nLeo Dion (host): Let's start.\n"
    )
    assert [s for s, _ in speakers_and_texts(srt, "yak.srt")] == [
        "Leo Dion",
        "Tim Mitra",
        "Leo Dion",
    ]


def roles(raw: str, name: str) -> list[tuple[str | None, str | None, str]]:
    return [(s.speaker, s.speaker_role, s.text) for s in parse_bytes(raw.encode(), name).segments]


def test_a_role_after_the_name_is_the_turns_role_in_lower_case():
    srt = (
        "1\n00:00:00,000 --> 00:00:02,000\nLeo Dion (host): Welcome back.\n\n"
        "2\n00:00:02,000 --> 00:00:04,000\nand on we go.\n\n"
        "3\n00:00:04,000 --> 00:00:06,000\nAna Lima (Co-Host): Hi.\n\n"
        "4\n00:00:06,000 --> 00:00:08,000\nTim Mitra: Thanks for having me.\n\n"
        "5\n00:00:08,000 --> 00:00:10,000\nLeo Dion (host): Let's start.\n\n"
        "6\n00:00:10,000 --> 00:00:12,000\nTim Mitra: Sure.\n"
    )
    assert roles(srt, "yak.srt") == [
        ("Leo Dion", "host", "Welcome back."),
        ("Leo Dion", "host", "and on we go."),  # the turn goes on, and its role
        ("Ana Lima", "co-host", "Hi."),
        ("Tim Mitra", None, "Thanks for having me."),
        ("Leo Dion", "host", "Let's start."),
        ("Tim Mitra", None, "Sure."),
    ]
    plain = "Ana Lima (Guest): One.\nBo Park: Two.\nAna Lima (Guest): Three.\nBo Park: Four."
    assert [r[:2] for r in roles(plain, "ep.txt")] == [
        ("Ana Lima", "guest"),
        ("Bo Park", None),
        ("Ana Lima", "guest"),
        ("Bo Park", None),
    ]


@pytest.mark.parametrize(
    ("line", "role"),
    [
        ("Leo Dion (host): hi", "host"),
        ("Leo Dion ( Executive  Producer ): hi", "executive producer"),
        ("Leo Dion (00:05): hi", None),  # a time, not a role
        ("Leo Dion (Guest 2): hi", None),
        ("Leo Dion: hi", None),
        # How the line was said, or that it was hard to hear, is not a role.
        ("Leo Dion (laughing): hi", None),
        ("Leo Dion (Crosstalk): hi", None),
        ("Leo Dion (cont\u2019d): hi", None),
        ("Leo Dion (inaudible): hi", None),
    ],
)
def test_split_label_keeps_a_written_role_and_not_a_time(line, role):
    labelled = split_label(line)
    assert (labelled.label, labelled.role, labelled.text) == ("Leo Dion", role, "hi")
