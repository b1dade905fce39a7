"""Speaker labels as shows write them, read off the start of a cue or line.

Shows mark who speaks in many ways: a WebVTT voice tag (`<v Name>`, read by webvtt-py), a
`Name:` prefix on the first line of a cue (hosting platforms' SubRip, most plain transcripts),
`>> Name:` (broadcast captions), a dialogue dash (`- Name: ...`), Markdown's `**Name:**`
(show-notes transcripts), diarization labels
(`SPEAKER_1:`, `Speaker 2:`). A label stays in force over the following cues until another
appears, since one utterance is often wrapped over several cues.

A colon alone does not make a label: "Note: this is..." is text. A candidate is 1-4
capitalised words before the colon, and it is taken as a speaker only when the file uses it
like one: the same label starting lines at least twice, a diarization label, or a voice
that speaks once among others that recur. `Unknown:` is a label whose speaker is unknown
(NULL), not a person. A role written after the name (`Leo Dion (host):`) is not part of the
name: it is kept, in lower case, as the turn's role (not a time: `Leo Dion (00:05):` has none).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

# One word of a name: capitalised (any script's upper case), all caps, an initial, or a
# diarization number; particles of surnames are allowed lower case.
# No `_` inside a word: it separates words (`SPEAKER_1`), and a character that can be either
# makes the match backtrack exponentially on a line like `A_A_A_...`.
_WORD = (
    r"(?:[^\W\d_a-z](?:[^\W_]|['\u2019.-])*|\d{1,3}"
    r"|de|da|del|della|der|di|du|la|le|van|von|bin|al)"
)
# A label is at the start of a line: no need to look further (and a bound on any regex cost).
_LABEL_SCAN_CHARS = 120
# `Name:`, `>> Name:`, `- Name:`, Markdown's `**Name:**` / `**Name**:`, and a role after the
# name, `Name (host):`, which is not part of the name.
_LABEL = re.compile(
    rf"^(?P<mark>>>+\s*|[-\u2013\u2014]\s+)?(?P<bold>\*\*|__)?"
    rf"(?P<label>{_WORD}(?:[ _]{_WORD}){{0,3}})(?:\s*\((?P<role>[^()\n]{{1,30}})\))?"
    rf"\s*(?::(?P=bold)|(?P=bold):|:)(?:\s+|$)"
)
# A role is words: a parenthesis with a digit is a time or a number (`Name (00:05):`).
_ROLE = re.compile(r"[^\W\d_][^\W\d]*(?:[ &/'.-]+[^\W\d_][^\W\d]*)*")
# What transcribers write in parentheses after a name that is not a role: how it was said,
# or that the audio was unclear (`Ana (laughing):`, `Ben (crosstalk):`, `Ana (cont'd):`).
_NOT_ROLES = frozenset(
    {
        "laughs",
        "laughing",
        "laughter",
        "chuckles",
        "chuckling",
        "sighs",
        "sighing",
        "crosstalk",
        "cross talk",
        "inaudible",
        "unintelligible",
        "indiscernible",
        "overlapping",
        "overlapping speech",
        "off mic",
        "off-mic",
        "muffled",
        "whispers",
        "whispering",
        "shouting",
        "sarcastically",
        "cont'd",
        "contd",
        "continued",
        "continuing",
        "cont.",
        "audio",
        "video",
        "recording",
        "clip",
    }
)
_MARK_ONLY = re.compile(r"^(?P<mark>>>+|[-\u2013\u2014](?=\s))\s*")
_DIARIZED = re.compile(r"(?i)^(?:speaker|spk|s)[ _-]?\d{1,3}$")
_UNKNOWN = frozenset({"unknown", "unknown speaker", "unidentified", "speaker", "unk"})
# Words that open a sentence with a colon far more often than they name anyone, and the
# cues transcripts write where no one speaks.
_NOT_NAMES = frozenset(
    {
        "note",
        "notes",
        "nb",
        "ps",
        "edit",
        "update",
        "warning",
        "caution",
        "disclaimer",
        "correction",
        "example",
        "source",
        "sources",
        "transcript",
        "summary",
        "chapter",
        "chapters",
        "episode",
        "title",
        "link",
        "links",
        "http",
        "https",
        "tip",
        "fact",
        "spoiler",
        "reminder",
        "step",
        "rule",
        # Cues for what is heard instead of someone speaking.
        "break",
        "ad",
        "ad break",
        "sponsor",
        "jingle",
        "music",
        "intro",
        "outro",
        "transition",
        "applause",
        "laughter",
        "crosstalk",
        "silence",
    }
)
_MIN_REPEATS = 2


@dataclass(frozen=True, slots=True)
class Labelled:
    """A line with its speaker label (if any) taken off."""

    text: str
    label: str | None  # the label as written, e.g. "Adam Curry", "SPEAKER_1", "Unknown"
    turn: bool  # a label or a dialogue mark: the speaker changes here
    role: str | None = None  # written after the label, lower case: "host" for "Ana (Host):"


class Speakers(NamedTuple):
    """Each line's text without its label, its speaker, and the role its label wrote."""

    texts: list[str]
    speakers: list[str | None]
    roles: list[str | None]


def split_label(line: str) -> Labelled:
    """Take a candidate label off one line; whether it is a speaker is decided per file."""
    match = _LABEL.match(line[:_LABEL_SCAN_CHARS])
    if match:
        label = " ".join(match.group("label").split())
        role = " ".join((match.group("role") or "").split())
        return Labelled(line[match.end() :].strip(), label, True, _role(role))
    return _unlabelled(line)


def _role(written: str) -> str | None:
    """A role as the label wrote it, in lower case; None for a time, a number, or a note on
    how the line was said."""
    role = written.lower()
    if not _ROLE.fullmatch(role) or role.replace("\u2019", "'") in _NOT_ROLES:
        return None
    return role


def _unlabelled(line: str) -> Labelled:
    """The line with only its dialogue mark (if any) taken off: the label was not a speaker."""
    mark = _MARK_ONLY.match(line)
    return Labelled(line[mark.end() :].strip() if mark else line.strip(), None, mark is not None)


def accepted_labels(candidates: Sequence[str | None]) -> frozenset[str]:
    """The labels that this file uses as speakers (see the module docstring).

    A label that starts lines at least twice is a speaker; so is one used once beside
    recurring ones when it is a full name or when two others recur (a voice who speaks once
    in a dialogue). A diarization label or `Unknown` always is.
    """
    counts = Counter(c for c in candidates if c and _looks_like_name(c))
    recurring = {label for label, n in counts.items() if n >= _MIN_REPEATS}
    return frozenset(
        label
        for label in counts
        if label in recurring
        or len(recurring) >= 2
        or (recurring and len(label.split()) >= 2)
        or label.casefold() in _UNKNOWN
        or _DIARIZED.match(label)
    )


def _looks_like_name(label: str) -> bool:
    words = label.replace("_", " ").split()
    if label.casefold() in _NOT_NAMES or words[0].casefold() in _NOT_NAMES:
        return False
    first = words[0][0]
    return first.isupper() or first.isdigit()


_TRAILING_PARENTHESIS = re.compile(r"(?P<name>.*?\S)\s*\((?P<role>[^()\n]{1,30})\)")


def name_and_role(label: str) -> tuple[str, str | None]:
    """A speaker a format names apart from the text (an HTML `<cite>`, a JSON `speaker`), and
    the role written after it, as a text label's: ("Leo Dion", "host") for "Leo Dion (Host)".
    A parenthesis that is not a role (a time, a note on how it was said) is dropped too."""
    match = _TRAILING_PARENTHESIS.fullmatch(label)
    if match is None:
        return label, None
    return match.group("name"), _role(" ".join(match.group("role").split()))


def speaker_value(label: str) -> str | None:
    """The `segments.speaker` value of an accepted label: NULL for an unknown speaker."""
    return None if label.casefold() in _UNKNOWN else label


def assign_speakers(lines: Sequence[str], given: Sequence[str | None] | None = None) -> Speakers:
    """Texts without their labels, and each line's speaker and role, carried over unlabelled
    lines.

    `given` are speakers the format already named (WebVTT voices): they win over a prefix and
    start a turn like one. A label that is not accepted stays part of the text.
    """
    split = [split_label(line) for line in lines]
    accepted = accepted_labels([s.label for s in split])
    out = Speakers([], [], [])
    current: str | None = None
    role: str | None = None
    for i, item in enumerate(split):
        voice = given[i] if given else None
        if item.label is not None and item.label not in accepted:
            item = _unlabelled(lines[i])
        if voice:
            current, role = speaker_value(voice), None
        elif item.label is not None:
            current = speaker_value(item.label)
            role = item.role if current else None
        elif item.turn:
            current, role = None, None  # a dialogue mark without a name: someone else, unknown
        out.texts.append(item.text)
        out.speakers.append(current)
        out.roles.append(role)
    return out
