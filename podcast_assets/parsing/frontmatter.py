"""Enriched episode pages: YAML front matter (the analyser's fields), bounded before it is built.

The front matter is checked from the YAML parser's events alone, before any node or Python
object exists, so a hostile page can neither exhaust memory (an alias "billion laughs") nor
the stack (deep nesting); then it is loaded with the safe loader, which refuses tags such as
`!!python/object` instead of constructing them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import yaml

from podcast_assets.identity import find_show, identify
from podcast_assets.models import ParsedEpisode, SourceFormat
from podcast_assets.parsing.errors import MAX_FILE_BYTES, ParseError

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


def parse_enriched(text: str, encoding: str, source_file: str) -> ParsedEpisode:
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
        key=_position,
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
                target = _alias_target(event, anchors, aliases, source_file)
                if target is None:
                    continue  # undefined: `yaml.load` reports it with its position
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


def _alias_target(
    event: yaml.AliasEvent,
    anchors: dict[str, tuple[int, int, int] | None],
    aliases: int,
    source_file: str,
) -> tuple[int, int, int] | None:
    """What an alias repeats (values, chars, height); refuses too many or a self-reference."""
    if aliases > MAX_YAML_ALIASES:
        raise ParseError(
            source_file,
            f"YAML front matter uses more than {MAX_YAML_ALIASES} aliases "
            f"(limit {MAX_YAML_ALIASES})",
        )
    if event.anchor not in anchors:
        return None
    target = anchors[event.anchor]
    if target is None:
        raise ParseError(
            source_file,
            f"YAML front matter alias *{event.anchor} refers to a node that contains it, so it "
            "would expand forever",
        )
    return target


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


def _position(company: Mapping[str, Any]) -> int:
    position = company.get("position")
    return position if isinstance(position, int) else 10**9


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)
