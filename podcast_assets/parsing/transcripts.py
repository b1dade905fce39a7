"""Transcripts: plain text, `[hh:mm:ss --> hh:mm:ss]` lines, WebVTT and SubRip, to segments.

Speaker labels written into the text (`Name:`, `>> Name:`, `- Name:`) are taken off and
become `speaker`, and a role written after the name (`Name (host):`) `speaker_role` (see
`speakers.py`); a cue whose later line opens with a label or a dialogue
mark is two utterances, each a segment with the cue's times.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace

import srt
import webvtt

from podcast_assets.identity import identify
from podcast_assets.models import ParsedEpisode, SourceFormat, segments_from_texts
from podcast_assets.parsing.errors import ParseError
from podcast_assets.parsing.speakers import assign_speakers, split_label

# Plain transcripts sometimes arrive as one giant line; keep segments reviewable.
_MAX_SEGMENT_CHARS = 2000
BRACKET_CUE = re.compile(
    r"^\s*\[(?P<start>\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,3})?)\s*-->\s*"
    r"(?P<end>\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,3})?)\]\s?(?P<text>.*)$"
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_SRT_NUMBERED = re.compile(r"\A\s*\d+\s*\n")
# A cue timing line, SubRip's or WebVTT's: what a transcript of cues is recognised by.
CUE_TIMING = re.compile(
    r"^\s*(?:\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{1,3}\s*-->\s*(?:\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{1,3}"
)
# SubRip's formatting tags (<i>, <b>, <font ...>) and ASS overrides ({\an8}).
_SRT_TAG = re.compile(r"</?[a-zA-Z][^>]*>|\{\\[^}]*\}")


def parse_plain(text: str, encoding: str, source_file: str) -> ParsedEpisode:
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    texts: list[str] = []
    speakers: list[str | None] = []
    roles: list[str | None] = []
    for line, speaker, role in zip(*assign_speakers(lines), strict=True):
        if line:  # a label alone on its line names the speaker of the lines that follow
            pieces = _split_long(line)
            texts.extend(pieces)
            speakers.extend([speaker] * len(pieces))
            roles.extend([role] * len(pieces))
    if not texts:
        raise ParseError(source_file, "file has no text")
    return build_transcript(
        SourceFormat.PLAIN_TRANSCRIPT,
        encoding,
        texts,
        speakers=_if_any(speakers),
        roles=_if_any(roles),
    )


def parse_bracketed(text: str, encoding: str, source_file: str) -> ParsedEpisode:
    texts: list[str] = []
    starts: list[float | None] = []
    ends: list[float | None] = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        m = BRACKET_CUE.match(line)
        if not m:
            if not texts:
                raise ParseError(source_file, f"line {lineno}: text before the first timestamp")
            texts[-1] = f"{texts[-1]} {line.strip()}".strip()  # a wrapped continuation line
            continue
        start, end = _seconds(m.group("start")), _seconds(m.group("end"))
        _check_cue(source_file, f"line {lineno}", start, end, m.group("start"), m.group("end"))
        cue_text = m.group("text").strip()
        if cue_text:
            texts.append(cue_text)
            starts.append(start)
            ends.append(end)
    return _labelled(SourceFormat.TIMESTAMPED_TRANSCRIPT, encoding, texts, starts, ends)


def parse_webvtt(text: str, encoding: str, source_file: str) -> ParsedEpisode:
    try:
        captions = webvtt.from_string(text).captions
    except Exception as exc:  # webvtt-py raises several unrelated types for bad files
        raise ParseError(source_file, f"not valid WebVTT: {exc}") from None
    texts: list[str] = []
    starts: list[float | None] = []
    ends: list[float | None] = []
    speakers: list[str | None] = []
    for i, cap in enumerate(captions, start=1):
        start, end = _seconds(cap.start), _seconds(cap.end)
        _check_cue(source_file, f"cue {i}", start, end, cap.start, cap.end)
        voice = cap.voice.strip() if cap.voice else None
        # Cue text escapes `&`, `<` and `>` as character references (`Q&amp;A`).
        for i_utterance, utterance in enumerate(_utterances(html.unescape(cap.text))):
            texts.append(utterance)
            starts.append(start)
            ends.append(end)
            speakers.append(voice if i_utterance == 0 else None)
    return _labelled(SourceFormat.WEBVTT, encoding, texts, starts, ends, speakers)


def parse_subrip(text: str, encoding: str, source_file: str) -> ParsedEpisode:
    if not _SRT_NUMBERED.match(text):
        # Cues without their numbers (some exporters drop them): WebVTT's cue syntax, which
        # makes the number optional, reads them; the file is still SubRip to its user.
        parsed = parse_webvtt("WEBVTT\n\n" + text.lstrip(), encoding, source_file)
        return replace(parsed, source_format=SourceFormat.SUBRIP)
    texts: list[str] = []
    starts: list[float | None] = []
    ends: list[float | None] = []
    try:
        for i, sub in enumerate(srt.parse(text), start=1):
            start, end = sub.start.total_seconds(), sub.end.total_seconds()
            _check_cue(
                source_file,
                f"cue {i}",
                start,
                end,
                srt.timedelta_to_srt_timestamp(sub.start),
                srt.timedelta_to_srt_timestamp(sub.end),
            )
            for utterance in _utterances(_SRT_TAG.sub("", sub.content)):
                texts.append(utterance)
                starts.append(start)
                ends.append(end)
    except srt.SRTParseError as exc:
        raise ParseError(source_file, f"not valid SubRip: {exc}") from None
    return _labelled(SourceFormat.SUBRIP, encoding, texts, starts, ends)


def _utterances(cue: str) -> list[str]:
    """A cue's lines as utterances: a line opening with a label or dialogue mark starts one."""
    out: list[str] = []
    for line in cue.split("\n"):
        line = " ".join(line.split())
        if not line:
            continue
        if out and not split_label(line).turn:
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return out


def _labelled(
    fmt: SourceFormat,
    encoding: str,
    lines: list[str],
    starts: list[float | None],
    ends: list[float | None],
    voices: list[str | None] | None = None,
) -> ParsedEpisode:
    """Speakers from voices and labels; lines that were only a label are dropped."""
    texts, speakers, roles = assign_speakers(lines, voices)
    keep = [i for i, t in enumerate(texts) if t]
    return build_transcript(
        fmt,
        encoding,
        [texts[i] for i in keep],
        [starts[i] for i in keep],
        [ends[i] for i in keep],
        _if_any([speakers[i] for i in keep]),
        _if_any([roles[i] for i in keep]),
    )


def _if_any(speakers: list[str | None]) -> list[str | None] | None:
    return speakers if any(speakers) else None


def build_transcript(
    fmt: SourceFormat,
    encoding: str,
    texts: list[str],
    starts: list[float | None] | None = None,
    ends: list[float | None] | None = None,
    speakers: list[str | None] | None = None,
    roles: list[str | None] | None = None,
) -> ParsedEpisode:
    segments = segments_from_texts(texts, starts, ends, speakers, roles)
    timed_ends = [e for e in ends or [] if e is not None]
    return ParsedEpisode(
        source_format=fmt,
        encoding=encoding,
        segments=segments,
        identity=identify("\n".join(texts)),
        duration_seconds=max(timed_ends) if timed_ends else None,
    )


def _check_cue(source_file: str, where: str, start: float, end: float, a: str, b: str) -> None:
    if end < start:
        raise ParseError(source_file, f"{where}: cue ends at {b} before it starts at {a}")


def _seconds(stamp: str) -> float:
    parts = stamp.replace(",", ".").split(":")
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + float(part)
    return round(seconds, 3)


def _split_long(line: str) -> list[str]:
    if len(line) <= _MAX_SEGMENT_CHARS:
        return [line]
    out: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(line):
        if current and len(current) + len(sentence) + 1 > _MAX_SEGMENT_CHARS:
            out.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}" if current else sentence
    if current:
        out.append(current)
    # A sentence longer than the limit stays whole: splitting mid-sentence would hurt NLP.
    return out
