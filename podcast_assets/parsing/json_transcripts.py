"""The Podcast Namespace's JSON transcript: `{"segments": [{speaker, startTime, endTime, body}]}`.

Spec: podcastindex-org/podcast-namespace, `transcripts/transcripts.md`. Times are seconds as
numbers; `speaker` is optional and often repeated on every segment. Hosts write anything from
one segment per sentence to one per word, so consecutive segments of one speaker are joined
until a sentence ends: a segment per word would leave nothing for NLP to read as a sentence.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from podcast_assets.models import ParsedEpisode, SourceFormat
from podcast_assets.parsing.errors import ParseError
from podcast_assets.parsing.speakers import name_and_role, speaker_value
from podcast_assets.parsing.transcripts import build_transcript

_SENTENCE_END = (".", "!", "?", "\u2026", '."', '?"', '!"', ".\u201d", "?\u201d", "!\u201d")
# Join at most this much text, and never across a pause this long (seconds).
_MAX_JOINED_CHARS = 600
_MAX_JOIN_GAP_S = 2.0


@dataclass(slots=True)
class _Piece:
    text: str
    start: float
    end: float
    speaker: str | None
    role: str | None = None


def parse_json_transcript(text: str, encoding: str, source_file: str) -> ParsedEpisode:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(
            source_file, f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    if not isinstance(document, Mapping):
        raise ParseError(
            source_file,
            f"is JSON but not a Podcast Namespace transcript: the top level is a "
            f"{_json_type(document)}, not an object with `segments`",
        )
    segments = document.get("segments")
    if not isinstance(segments, list):
        what = "has no `segments`" if segments is None else "has `segments` that is not a list"
        raise ParseError(source_file, f"is JSON but not a Podcast Namespace transcript: it {what}")
    pieces = [_piece(source_file, i, s) for i, s in enumerate(segments, start=1)]
    joined = _join(p for p in pieces if p.text)
    if not joined:
        raise ParseError(source_file, "JSON transcript has no segment with text")
    return build_transcript(
        SourceFormat.PODCAST_JSON,
        encoding,
        [p.text for p in joined],
        [p.start for p in joined],
        [p.end for p in joined],
        [p.speaker for p in joined],
        [p.role for p in joined],
    )


def _piece(source_file: str, i: int, segment: Any) -> _Piece:
    where = f"segment {i}"
    if not isinstance(segment, Mapping):
        raise ParseError(source_file, f"{where} is a {_json_type(segment)}, not an object")
    body = segment.get("body")
    if not isinstance(body, str):
        problem = "has no `body`" if body is None else f"has a {_json_type(body)} `body`"
        raise ParseError(source_file, f"{where} {problem}; expected text")
    start = _seconds(source_file, where, segment, "startTime")
    end = _seconds(source_file, where, segment, "endTime")
    if end < start:
        raise ParseError(source_file, f"{where}: endTime {end:g} is before startTime {start:g}")
    speaker = segment.get("speaker")
    written = " ".join(speaker.split()) if isinstance(speaker, str) else ""
    name, role = name_and_role(written)
    who = speaker_value(name) if name else None
    return _Piece(" ".join(body.split()), start, end, who, role if who else None)


def _seconds(source_file: str, where: str, segment: Mapping[str, Any], key: str) -> float:
    value = segment.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        shown = "missing" if value is None else f"{json.dumps(value)[:40]} ({_json_type(value)})"
        raise ParseError(source_file, f"{where}: `{key}` is {shown}, not a number of seconds")
    if value < 0:
        raise ParseError(source_file, f"{where}: `{key}` is negative ({value:g})")
    return round(float(value), 3)


def _join(pieces: Any) -> list[_Piece]:
    """Consecutive pieces of one speaker, up to the end of a sentence."""
    out: list[_Piece] = []
    for piece in pieces:
        last = out[-1] if out else None
        if (
            last is not None
            and last.speaker == piece.speaker
            and last.role == piece.role
            and not last.text.endswith(_SENTENCE_END)
            and piece.start - last.end <= _MAX_JOIN_GAP_S
            and len(last.text) + len(piece.text) < _MAX_JOINED_CHARS
        ):
            last.text = f"{last.text} {piece.text}"
            last.end = max(last.end, piece.end)
        else:
            out.append(_Piece(piece.text, piece.start, piece.end, piece.speaker, piece.role))
    return out


def _json_type(value: object) -> str:
    names = {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number" if isinstance(value, int | float) else "value")
