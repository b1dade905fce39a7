"""Raw bytes to a `ParsedEpisode`: decoding, format recognition and the five parsers.

Every file may end in `.txt`, so the format is recognised from content alone. Anything we
cannot read raises `ParseError` whose message names the file and the specific reason; the
caller records it and moves on to the next file. Nothing about a file's content raises anything
else, and YAML front matter is bounded before it is built, so one hostile file can neither
crash nor exhaust a refresh.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import srt
import webvtt
import yaml

from podcast_assets.identity import find_show, identify
from podcast_assets.models import ParsedEpisode, SourceFormat, segments_from_texts

# Bump when parsing changes what lands in `episodes`/`segments`: partitions become stale.
PARSER_VERSION = "1"

# Beyond this a file is not one podcast episode: a 3-hour show is ~200 KB of text, and 8 MiB
# (~1.4 M words) already takes minutes of NLP. A 50 MB file is rejected, not left to run for
# an hour and gigabytes.
MAX_FILE_BYTES = 8 * 1024 * 1024
# Front matter limits. Real pages hold ~2,300 values, 4 levels deep, with no aliases; each limit
# sits far above that yet keeps a hostile 300-byte front matter from costing more than tens of
# MB, a deep Python stack, or a "billion laughs" expansion.
# Aliases are the multiplier in an expansion bomb and hand-written pages rarely use a dozen.
MAX_YAML_ALIASES = 100
# The YAML constructor and `json.dumps` recurse once per level (Python's stack is ~1,000 frames,
# less inside Dagster); 64 is 16x a real page.
MAX_YAML_DEPTH = 64
# A composed value costs ~350 bytes of Python objects, so 100,000 values (40x a real page,
# counting each alias as the values it repeats) cap memory near 35 MB and the stored JSON size.
MAX_YAML_VALUES = 100_000
# Without aliases scalar text cannot exceed the file; with them it may not exceed the largest
# file we would accept anyway.
MAX_YAML_TEXT_CHARS = MAX_FILE_BYTES
# Plain transcripts sometimes arrive as one giant line; keep segments reviewable.
_MAX_SEGMENT_CHARS = 2000
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_BRACKET_CUE = re.compile(
    r"^\s*\[(?P<start>\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,3})?)\s*-->\s*"
    r"(?P<end>\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,3})?)\]\s?(?P<text>.*)$"
)
_SRT_START = re.compile(r"\A\s*\d+\s*\r?\n\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


class ParseError(ValueError):
    """A raw file that cannot be ingested; `str()` is the reason a user reads."""

    def __init__(self, source_file: str, reason: str) -> None:
        super().__init__(f"{source_file}: {reason}")
        self.source_file = source_file
        self.reason = reason


def parse_bytes(raw: bytes, source_file: str) -> ParsedEpisode:
    """Decode, recognise and parse one raw file; every failure is a `ParseError`.

    Parsers and the libraries under them (yaml, srt, webvtt-py) raise whatever a malformed
    file provokes (OverflowError, ValueError, RecursionError, ...); callers skip only a
    `ParseError`, so anything else would abort the whole refresh over one file.
    """
    try:
        text, encoding = decode(raw, source_file)
        return _PARSERS[detect_format(text)](text, encoding, source_file)
    except ParseError:
        raise
    except MemoryError as exc:
        failure = ParseError(source_file, _unexpected_reason(exc))
    except Exception as exc:
        raise ParseError(source_file, _unexpected_reason(exc)) from exc
    # Raised outside the handler so the traceback, and the half-built objects its frames hold,
    # are freed before the caller records the failure.
    raise failure


def _unexpected_reason(exc: Exception) -> str:
    detail = f": {exc}" if str(exc) else ""
    return f"could not be parsed: {type(exc).__name__}{detail}"


def decode(raw: bytes, source_file: str) -> tuple[str, str]:
    """UTF-8 first (BOM allowed), then cp1252, which is what Windows tools write."""
    if len(raw) > MAX_FILE_BYTES:
        raise ParseError(
            source_file,
            f"file is {len(raw):,} bytes, over the {MAX_FILE_BYTES:,}-byte limit for one episode",
        )
    if not raw.strip():
        raise ParseError(source_file, "file is empty")
    if (nul := raw.find(b"\x00")) >= 0:
        raise ParseError(
            source_file, f"contains a NUL byte at offset {nul}: binary data, not a transcript"
        )
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = len(_CONTROL_CHARS.findall(text))
        if controls > max(3, len(text) // 1000):
            raise ParseError(
                source_file,
                f"contains {controls} control characters: binary data, not a transcript",
            )
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        return text, "utf-8" if encoding == "utf-8-sig" else encoding
    raise ParseError(source_file, "is not text: neither valid UTF-8 nor cp1252")


def detect_format(text: str) -> SourceFormat:
    """Recognise the format from the first lines; plain text is the fallback."""
    head = text.lstrip()
    if head.startswith("---\n") or head.startswith("---\r\n"):
        return SourceFormat.ENRICHED_PAGE
    if head.startswith("WEBVTT"):
        return SourceFormat.WEBVTT
    if _SRT_START.match(text):
        return SourceFormat.SUBRIP
    lines = [ln for ln in head.splitlines()[:50] if ln.strip()]
    if lines and sum(bool(_BRACKET_CUE.match(ln)) for ln in lines) * 2 >= len(lines):
        return SourceFormat.TIMESTAMPED_TRANSCRIPT
    return SourceFormat.PLAIN_TRANSCRIPT


# --- enriched pages ---------------------------------------------------------------------


def _parse_enriched(text: str, encoding: str, source_file: str) -> ParsedEpisode:
    body = text.lstrip()
    lines = body.split("\n")
    try:
        close = next(i for i, ln in enumerate(lines[1:], start=1) if ln.rstrip() == "---")
    except StopIteration:
        raise ParseError(
            source_file, "YAML front matter opens with '---' but never closes with a '---' line"
        ) from None
    front_matter = "\n".join(lines[1:close])
    try:
        _check_yaml_limits(front_matter, source_file)
        meta = yaml.load(front_matter, Loader=_SafeLoader)
    except yaml.YAMLError as exc:
        reason = f"YAML front matter is not valid YAML: {_yaml_reason(exc)}"
        raise ParseError(source_file, reason) from None
    if not isinstance(meta, Mapping):
        kind = "empty" if meta is None else f"a {type(meta).__name__}"
        raise ParseError(source_file, f"YAML front matter is {kind}, not a mapping of fields")
    meta = {str(k): v for k, v in meta.items()}
    title = _optional_str(meta.get("title"))
    published = _parse_date(meta.get("date"), source_file)
    duration = meta.get("duration")
    if duration is not None and not isinstance(duration, int | float):
        raise ParseError(source_file, f"`duration` must be a number of minutes, got {duration!r}")
    tags = meta.get("tags") or []
    if not isinstance(tags, list):
        raise ParseError(source_file, f"`tags` must be a list, got {type(tags).__name__}")
    # The page has no transcript; the analyser's context snippets are windows into it, so in
    # position order they still carry the show's intro ("Welcome to the ... Podcast").
    companies = meta.get("companies") or []
    snippets = sorted(
        (c for c in companies if isinstance(c, Mapping) and isinstance(c.get("context"), str)),
        key=lambda c: c.get("position") if isinstance(c.get("position"), int) else 10**9,
    )
    intro = [c["context"] for c in snippets[:12]]
    summary = _optional_str(meta.get("summary"))
    identity = identify(" ".join(intro), title=title, show=find_show(*intro, summary or ""))
    return ParsedEpisode(
        source_format=SourceFormat.ENRICHED_PAGE,
        encoding=encoding,
        segments=(),
        identity=identity,
        title=title,
        published_at=published,
        duration_seconds=float(duration) * 60 if duration is not None else None,
        summary=summary,
        tags=tuple(str(t) for t in tags),
        front_matter=json.loads(json.dumps(meta, default=str)),
    )


class _SafeLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe loading (no Python object construction), with the C parser when available."""


# libyaml's own nesting limit (1,000 levels); its scanner reads ahead through deep flow
# collections (`[[[...`) and reports this before our walk sees level 65.
_LIBYAML_TOO_DEEP = "exceeded maximum nesting depth"


@dataclass(slots=True)
class _OpenCollection:
    """A sequence or mapping whose end event has not arrived yet."""

    anchor: str | None
    values_before: int
    chars_before: int
    height: int = 0  # levels of collections inside it so far


def _check_yaml_limits(front_matter: str, source_file: str) -> None:
    """Reject front matter over the MAX_YAML_* limits, from parser events alone.

    Runs before any node or Python object exists, without recursion, and counts each alias as
    the values, text and depth it repeats, so a "billion laughs" stops after a few events
    instead of expanding to gigabytes in `json.dumps`.
    """
    # What each anchor expands to as (values, chars, height); None while it is still open.
    anchors: dict[str, tuple[int, int, int] | None] = {}
    stack: list[_OpenCollection] = []
    values = chars = aliases = 0
    loader = _SafeLoader(front_matter)
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.CollectionStartEvent):
                stack.append(_OpenCollection(event.anchor, values, chars))
                values += 1
                if event.anchor is not None:
                    anchors[event.anchor] = None
                height = 0  # the collection itself is `stack`'s newest level
            elif isinstance(event, yaml.CollectionEndEvent):
                node = stack.pop()
                height = node.height + 1
                if node.anchor is not None:
                    size = (values - node.values_before, chars - node.chars_before, height)
                    anchors[node.anchor] = size
            elif isinstance(event, yaml.ScalarEvent):
                values += 1
                chars += len(event.value)
                height = 0
                if event.anchor is not None:
                    anchors[event.anchor] = (1, len(event.value), 0)
            elif isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_YAML_ALIASES:
                    raise ParseError(
                        source_file,
                        f"YAML front matter uses more than {MAX_YAML_ALIASES} aliases "
                        f"(limit {MAX_YAML_ALIASES})",
                    )
                if event.anchor not in anchors:
                    continue  # undefined: `yaml.load` reports it with its position
                target = anchors[event.anchor]
                if target is None:
                    raise ParseError(
                        source_file,
                        f"YAML front matter alias *{event.anchor} refers to a node that "
                        "contains it, so it would expand forever",
                    )
                values, chars, height = values + target[0], chars + target[1], target[2]
            elif isinstance(event, yaml.DocumentStartEvent):
                anchors.clear()  # anchors are per document
                continue
            else:
                continue
            if stack and not isinstance(event, yaml.CollectionStartEvent):
                stack[-1].height = max(stack[-1].height, height)
            _check_yaml_size(len(stack) + height, values, chars, source_file)
    except yaml.YAMLError as exc:
        if getattr(exc, "problem", None) == _LIBYAML_TOO_DEEP:
            raise _too_deep(source_file) from None
        raise
    finally:
        loader.dispose()


def _check_yaml_size(depth: int, values: int, chars: int, source_file: str) -> None:
    if depth > MAX_YAML_DEPTH:
        raise _too_deep(source_file)
    if values > MAX_YAML_VALUES:
        raise ParseError(
            source_file,
            f"YAML front matter would expand to more than {MAX_YAML_VALUES:,} values "
            f"(limit {MAX_YAML_VALUES:,})",
        )
    if chars > MAX_YAML_TEXT_CHARS:
        raise ParseError(
            source_file,
            f"YAML front matter would expand to more than {MAX_YAML_TEXT_CHARS:,} characters "
            f"of text (limit {MAX_YAML_TEXT_CHARS:,})",
        )


def _too_deep(source_file: str) -> ParseError:
    return ParseError(
        source_file,
        f"YAML front matter is nested deeper than {MAX_YAML_DEPTH} levels (limit {MAX_YAML_DEPTH})",
    )


def _yaml_reason(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    where = f" at front-matter line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    return f"{problem}{where}"


def _parse_date(value: Any, source_file: str) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    text = str(value).strip()
    for fmt in ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S"):
        try:
            parsed = datetime.strptime(text, fmt)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ParseError(source_file, f"`date` is not a date: {text!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


# --- transcripts ------------------------------------------------------------------------


def _parse_plain(text: str, encoding: str, source_file: str) -> ParsedEpisode:
    texts: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if line:
            texts.extend(_split_long(line))
    if not texts:
        raise ParseError(source_file, "file has no text")
    return _transcript(SourceFormat.PLAIN_TRANSCRIPT, encoding, texts)


def _parse_bracketed(text: str, encoding: str, source_file: str) -> ParsedEpisode:
    texts: list[str] = []
    starts: list[float | None] = []
    ends: list[float | None] = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        m = _BRACKET_CUE.match(line)
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
    return _transcript(SourceFormat.TIMESTAMPED_TRANSCRIPT, encoding, texts, starts, ends)


def _parse_webvtt(text: str, encoding: str, source_file: str) -> ParsedEpisode:
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
        cue_text = " ".join(cap.text.split())
        if cue_text:
            texts.append(cue_text)
            starts.append(start)
            ends.append(end)
            speakers.append(cap.voice.strip() if cap.voice else None)
    return _transcript(SourceFormat.WEBVTT, encoding, texts, starts, ends, speakers)


def _parse_subrip(text: str, encoding: str, source_file: str) -> ParsedEpisode:
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
            cue_text = " ".join(re.sub(r"<[^>]+>", "", sub.content).split())
            if cue_text:
                texts.append(cue_text)
                starts.append(start)
                ends.append(end)
    except srt.SRTParseError as exc:
        raise ParseError(source_file, f"not valid SubRip: {exc}") from None
    return _transcript(SourceFormat.SUBRIP, encoding, texts, starts, ends)


def _transcript(
    fmt: SourceFormat,
    encoding: str,
    texts: list[str],
    starts: list[float | None] | None = None,
    ends: list[float | None] | None = None,
    speakers: list[str | None] | None = None,
) -> ParsedEpisode:
    segments = segments_from_texts(texts, starts, ends, speakers)
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


_PARSERS = {
    SourceFormat.ENRICHED_PAGE: _parse_enriched,
    SourceFormat.PLAIN_TRANSCRIPT: _parse_plain,
    SourceFormat.TIMESTAMPED_TRANSCRIPT: _parse_bracketed,
    SourceFormat.WEBVTT: _parse_webvtt,
    SourceFormat.SUBRIP: _parse_subrip,
}
