"""Raw bytes to a `ParsedEpisode`: decoding, format recognition and one parser per format.

Every file may end in `.txt`, so the format is recognised from content alone. Anything we
cannot read raises `ParseError` whose message names the file and the specific reason; the
caller records it and moves on to the next file. Nothing about a file's content raises anything
else, and YAML front matter is bounded before it is built, so one hostile file can neither
crash nor exhaust a refresh.
"""

from __future__ import annotations

import dataclasses
import re

from podcast_assets.models import ParsedEpisode, SourceFormat
from podcast_assets.parsing.errors import MAX_FILE_BYTES, ParseError
from podcast_assets.parsing.feeds import Feed, looks_like_feed, parse_feed
from podcast_assets.parsing.frontmatter import (
    MAX_YAML_ALIASES,
    MAX_YAML_DEPTH,
    MAX_YAML_TEXT_CHARS,
    MAX_YAML_VALUES,
    parse_enriched,
)
from podcast_assets.parsing.html_transcripts import parse_html_transcript
from podcast_assets.parsing.json_transcripts import parse_json_transcript
from podcast_assets.parsing.transcripts import (
    BRACKET_CUE,
    CUE_TIMING,
    parse_bracketed,
    parse_plain,
    parse_subrip,
    parse_webvtt,
)

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_YAML_ALIASES",
    "MAX_YAML_DEPTH",
    "MAX_YAML_TEXT_CHARS",
    "MAX_YAML_VALUES",
    "PARSER_VERSION",
    "Feed",
    "ParseError",
    "decode",
    "detect_format",
    "looks_like_feed",
    "parse_bytes",
]

# Bump when parsing changes what lands in `episodes`/`segments`: partitions become stale.
PARSER_VERSION = "5"
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# JSON is an object, or a list of objects (refused then with its own reason); `[Music]` or
# `[00:00:05] Hello` opening a plain transcript is neither.
_JSON_START = re.compile(r"\A(?:\{|\[\s*(?:\{|\]))")
# Markup that a page starts with: a doctype, a comment, or a tag of a transcript page.
_HTML_START = re.compile(
    r"\A<(?:!doctype\s+html|!--|html|head|body|meta|title|div|section|article|main|p|cite"
    r"|time|h[1-6]|dl|span)\b",
    re.IGNORECASE,
)
# Any other markup: a tag (or an XML declaration) first and a closing tag soon after.
_TAG_START = re.compile(r"\A<[?!]?[A-Za-z]")
_SRT_START = re.compile(r"\A\s*\d+\s*\r?\n\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->")


def parse_bytes(raw: bytes, source_file: str) -> ParsedEpisode | Feed:
    """Decode, recognise and parse one raw file; every failure is a `ParseError`.

    An episode's file gives a `ParsedEpisode`; an RSS feed (recognised from content too)
    gives a `Feed`, whose items name the episodes it describes.

    Parsers and the libraries under them (yaml, srt, webvtt-py) raise whatever a malformed
    file provokes (OverflowError, ValueError, RecursionError, ...); callers skip only a
    `ParseError`, so anything else would abort the whole refresh over one file.
    """
    try:
        text, encoding = decode(raw, source_file)
        fmt = detect_format(text)
        if fmt is SourceFormat.RSS_FEED:
            return parse_feed(raw, source_file)
        parsed = _PARSERS[fmt](text, encoding, source_file)
        if not parsed.segments and fmt is not SourceFormat.ENRICHED_PAGE:
            raise ParseError(source_file, f"{fmt} file has no text in any of its cues or lines")
        declared = declared_language(text)
        return dataclasses.replace(parsed, declared_language=declared) if declared else parsed
    except ParseError:
        raise
    except MemoryError as exc:
        failure = ParseError(source_file, _unexpected_reason(exc))
    except Exception as exc:
        raise ParseError(source_file, _unexpected_reason(exc)) from exc
    # Raised outside the handler so the traceback, and the half-built objects its frames hold,
    # are freed before the caller records the failure.
    raise failure


# Where transcript files state their language: a WebVTT header line (`Language: es`, as
# YouTube's exports write it), the HTML root's `lang`, a front matter `language:` key.
_HEAD_CHARS = 4096
_DECLARED = (
    re.compile(r"\AWEBVTT[^\n]*\n(?:[^\n]+\n)*?Language:[ \t]*([A-Za-z][\w-]{1,34})", re.I),
    re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z][\w-]{1,34})", re.I),
    re.compile(
        r"\A---[ \t]*\r?\n(?:(?!---).*\n)*?(?:language|lang|idioma|langue|sprache|lingua):"
        r"[ \t]*[\"']?([^\"'\n#]{2,35})",
        re.I,
    ),
)


def declared_language(text: str) -> str | None:
    """The language a transcript file declares in its head, as written (not normalised)."""
    head = text[:_HEAD_CHARS]
    for pattern in _DECLARED:
        found = pattern.search(head)
        if found:
            return found.group(1).strip() or None
    return None


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
    """Recognise the format from the first characters; plain text is the fallback.

    JSON (an object, or a list of objects) and markup (a doctype or a page's tag) are told by
    how they start, so a JSON or HTML file that is not a transcript gets that format's
    specific error, while a plain transcript opening with `[Music]` or `<laughs>` stays one.
    """
    head = text.lstrip()
    if head.startswith("---\n") or head.startswith("---\r\n"):
        return SourceFormat.ENRICHED_PAGE
    if head.startswith("WEBVTT"):
        return SourceFormat.WEBVTT
    if _JSON_START.match(head):
        return SourceFormat.PODCAST_JSON
    if looks_like_feed(head):
        return SourceFormat.RSS_FEED
    if _HTML_START.match(head) or (_TAG_START.match(head) and "</" in head[:4096]):
        return SourceFormat.HTML_TRANSCRIPT
    if _SRT_START.match(text) or CUE_TIMING.match(head):
        return SourceFormat.SUBRIP
    lines = [ln for ln in head.splitlines()[:50] if ln.strip()]
    if lines and sum(bool(BRACKET_CUE.match(ln)) for ln in lines) * 2 >= len(lines):
        return SourceFormat.TIMESTAMPED_TRANSCRIPT
    return SourceFormat.PLAIN_TRANSCRIPT


_PARSERS = {
    SourceFormat.ENRICHED_PAGE: parse_enriched,
    SourceFormat.PLAIN_TRANSCRIPT: parse_plain,
    SourceFormat.TIMESTAMPED_TRANSCRIPT: parse_bracketed,
    SourceFormat.WEBVTT: parse_webvtt,
    SourceFormat.SUBRIP: parse_subrip,
    SourceFormat.PODCAST_JSON: parse_json_transcript,
    SourceFormat.HTML_TRANSCRIPT: parse_html_transcript,
}
