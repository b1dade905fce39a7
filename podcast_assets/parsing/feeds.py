"""Podcast RSS feeds: what a show says about its episodes, read from untrusted bytes.

A feed is XML from anywhere, so it is parsed by `defusedxml` first: a DOCTYPE (the carrier of
billion-laughs bombs and external entities that read local files) is refused before any other
parser sees the bytes. `feedparser` then reads the standard parts (dates, enclosures, `itunes:`
fields) it handles well, and the checked tree supplies the Podcasting 2.0 `podcast:` tags
(https://podcastindex.org/namespace/1.0) that feedparser drops. Items are matched between the
two by position: both read the same well-formed document in order.
"""

from __future__ import annotations

import html
import io
import math
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element
from xml.etree.ElementTree import ParseError as XmlSyntaxError

import feedparser
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from podcast_assets.parsing.errors import MAX_FILE_BYTES, ParseError

ATOM_NS = "http://www.w3.org/2005/Atom"
ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
# The spec's URI, its http:// spelling, and the spec document's address that early adopters
# (Podcasting 2.0 itself, No Agenda) still declare.
_SPEC_DOC = "github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md"
PODCAST_NS: tuple[str, ...] = ("https://podcastindex.org/namespace/1.0", f"https://{_SPEC_DOC}")
PODCAST_NS += ("http://podcastindex.org/namespace/1.0", f"https://{_SPEC_DOC.lower()}")
MAX_DESCRIPTION_CHARS = 2000
_SNIFF_CHARS = 2048
_HTTP_SCHEMES = ("http", "https")
_BLOCK_TAG = re.compile(r"</?(?:p|div|br|li|ul|ol|h[1-6]|tr|td|blockquote|hr)\b[^>]*>", re.I)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_NAME = re.compile(r"[A-Za-z_][\w.:-]*")


@dataclass(frozen=True, slots=True)
class FeedTranscript:
    """One `podcast:transcript`: an episode may publish several formats."""

    url: str
    mime_type: str | None
    language: str | None
    rel: str | None


@dataclass(frozen=True, slots=True)
class FeedPerson:
    """One `podcast:person`; `role` is lowercased, "host" when absent (the namespace default)."""

    name: str
    role: str
    group: str | None
    href: str | None


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One episode as the feed describes it; `guid` is what ties files and rows to it."""

    guid: str
    title: str | None
    published_at: datetime | None
    episode_number: int | None
    season: int | None
    duration_seconds: float | None
    enclosure_url: str | None
    enclosure_type: str | None
    link: str | None
    description: str | None
    transcripts: tuple[FeedTranscript, ...]
    persons: tuple[FeedPerson, ...]


@dataclass(frozen=True, slots=True)
class Feed:
    """A parsed feed; `problems` says which items or transcripts were left out and why."""

    title: str | None
    link: str | None
    language: str | None
    author: str | None
    description: str | None
    image_url: str | None
    feed_guid: str | None
    persons: tuple[FeedPerson, ...]
    items: tuple[FeedItem, ...]
    problems: tuple[str, ...]
    categories: tuple[str, ...] = ()  # itunes:category, "Top" or "Top > Sub"


def _skip_prolog(text: str) -> str | None:
    """The text from the root start tag on; None when a DOCTYPE names another root.

    A DOCTYPE whose internal subset runs past the window is judged by its name, so a bomb
    declared for `<rss>` is still recognised as a feed (and then rejected by `parse_feed`).
    """
    rest = text.lstrip("\ufeff")
    while True:
        rest = rest.lstrip()
        if rest.startswith("<?"):
            end = rest.find("?>")
            rest = rest[end + 2 :] if end >= 0 else ""
        elif rest.startswith("<!--"):
            end = rest.find("-->")
            rest = rest[end + 3 :] if end >= 0 else ""
        elif rest[:9].upper() == "<!DOCTYPE":
            name = _NAME.match(rest[9:].lstrip())
            if name is None or name.group().lower() not in ("rss", "feed"):
                return None
            rest = _after_doctype(rest)
            if not rest:
                return "<rss>" if name.group().lower() == "rss" else f'<feed xmlns="{ATOM_NS}">'
        else:
            return rest


def _after_doctype(text: str) -> str:
    """What follows the DOCTYPE at the start of `text` ("" when it does not end in view)."""
    bracket, close = text.find("["), text.find(">")
    if close < 0:
        return ""
    if 0 <= bracket < close:
        end = text.find("]", bracket)
        close = text.find(">", end) if end >= 0 else -1
    return text[close + 1 :] if close >= 0 else ""


def looks_like_feed(text: str) -> bool:
    """Whether the content is an RSS (or Atom) feed: files may end in anything, even `.txt`.

    Only the first ~2 KB are looked at, never parsed whole: this runs on every raw file.
    """
    rest = _skip_prolog(text[:_SNIFF_CHARS])
    if rest is None:
        return False
    if re.match(r"<feed[\s>/]", rest):
        return ATOM_NS in rest.split(">", 1)[0]
    return re.match(r"<rss[\s>/]", rest) is not None


def _checked_tree(raw: bytes, source_file: str) -> Element:
    """The document as an ElementTree, refusing DOCTYPEs and entities before anything expands."""
    if len(raw) > MAX_FILE_BYTES:
        raise ParseError(
            source_file, f"feed is {len(raw)} bytes, over the {MAX_FILE_BYTES}-byte limit"
        )
    try:
        root: Element = fromstring(raw, forbid_dtd=True, forbid_entities=True)
    except DefusedXmlException as exc:
        raise ParseError(
            source_file,
            f"DOCTYPE/entity declarations are not allowed in a feed ({type(exc).__name__}); "
            "they can expand into gigabytes or read local files",
        ) from None
    except XmlSyntaxError as exc:
        line, column = exc.position
        raise ParseError(
            source_file, f"not well-formed XML at line {line}, column {column}: {exc}"
        ) from None
    return root


def _local(tag: object) -> tuple[str, str]:
    """(namespace, local name) of an element tag; ("", "") for comments and PIs."""
    if not isinstance(tag, str):
        return "", ""
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def _children(element: Element, namespaces: Iterable[str], local: str) -> list[Element]:
    wanted = {(namespace, local) for namespace in namespaces}
    return [child for child in element if _local(child.tag) in wanted]


def _first(element: Element, namespace: str, local: str) -> Element | None:
    return next(iter(_children(element, (namespace,), local)), None)


def _text(element: Element | None) -> str | None:
    return None if element is None else (element.text or "").strip() or None


def _attr(element: Element, name: str) -> str | None:
    return (element.get(name) or "").strip() or None


def _podcast_text(element: Element, local: str) -> str | None:
    return _text(next(iter(_children(element, PODCAST_NS, local)), None))


def _persons(element: Element) -> tuple[FeedPerson, ...]:
    return tuple(
        FeedPerson(
            name, (_attr(tag, "role") or "host").lower(), _attr(tag, "group"), _attr(tag, "href")
        )
        for tag in _children(element, PODCAST_NS, "person")
        if (name := _text(tag)) is not None
    )


def _transcripts(element: Element, label: str, problems: list[str]) -> tuple[FeedTranscript, ...]:
    transcripts = []
    for tag in _children(element, PODCAST_NS, "transcript"):
        url = _attr(tag, "url") or ""
        if urlsplit(url).scheme.lower() not in _HTTP_SCHEMES:
            problems.append(f"{label}: transcript URL {url!r} is not http(s); dropped")
            continue
        language, rel = _attr(tag, "language"), _attr(tag, "rel")
        transcripts.append(FeedTranscript(url, _attr(tag, "type"), language, rel))
    return tuple(transcripts)


def _plain(value: object) -> str | None:
    """Text without tags or entities, whitespace collapsed, capped: descriptions are HTML."""
    if not isinstance(value, str):
        return None
    text = _SPACE.sub(" ", html.unescape(_TAG.sub("", _BLOCK_TAG.sub(" ", value)))).strip()
    return text[:MAX_DESCRIPTION_CHARS] or None


def _str(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _int(value: object) -> int | None:
    """An episode or season number; decimals are accepted only when whole ("12.0")."""
    if not isinstance(value, str):
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return int(number) if number.is_integer() and number >= 0 else None


def _either(itunes: int | None, podcast: str | None) -> int | None:
    return itunes if itunes is not None else _int(podcast)  # apps show the itunes: one


def parse_duration(value: object) -> float | None:
    """`itunes:duration` in seconds: "h:mm:ss", "mm:ss" or plain seconds ("3600", "754.5")."""
    if not isinstance(value, str) or not value.strip():
        return None
    parts = value.strip().split(":")
    if len(parts) > 3:
        return None
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        return None
    seconds = sum(n * 60**power for power, n in enumerate(reversed(numbers)))
    ok = all(math.isfinite(n) and n >= 0 for n in numbers) and math.isfinite(seconds)
    return seconds if ok else None


def _when(entry: Mapping[str, Any]) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not isinstance(parsed, time.struct_time):
        return None
    try:
        return datetime(*parsed[:6], tzinfo=UTC)
    except ValueError:
        return None


def _item(
    element: Element, entry: Mapping[str, Any], position: int, problems: list[str]
) -> FeedItem | None:
    """One item, or None (with the reason in `problems`) when it has no guid to key it by."""
    is_atom = _local(element.tag)[0] == ATOM_NS
    guid = _text(_first(element, ATOM_NS if is_atom else "", "id" if is_atom else "guid"))
    title = _str(entry.get("title"))
    label = f"item {position} ({title!r})" if title else f"item {position}"
    if guid is None:
        problems.append(f"{label}: no <{'id' if is_atom else 'guid'}>; skipped")
        return None
    enclosures = entry.get("enclosures") or []
    enclosure: Mapping[str, Any] = enclosures[0] if enclosures else {}
    return FeedItem(
        guid=guid,
        title=title,
        published_at=_when(entry),
        episode_number=_either(
            _int(entry.get("itunes_episode")), _podcast_text(element, "episode")
        ),
        season=_either(_int(entry.get("itunes_season")), _podcast_text(element, "season")),
        duration_seconds=parse_duration(entry.get("itunes_duration")),
        enclosure_url=_str(enclosure.get("href")),
        enclosure_type=_str(enclosure.get("type")),
        # Not feedparser's `link`: it falls back to a guid that is not a link at all.
        link=_str(entry.get("link")) if is_atom else _text(_first(element, "", "link")),
        description=_plain(entry.get("summary")),
        transcripts=_transcripts(element, label, problems),
        persons=_persons(element),
    )


def _channel(root: Element, source_file: str) -> tuple[Element, list[Element]]:
    """The element holding the show's fields, and its item elements in document order."""
    namespace, local = _local(root.tag)
    if local == "feed" and namespace == ATOM_NS:
        return root, _children(root, (ATOM_NS,), "entry")
    if local != "rss" or namespace:
        raise ParseError(source_file, f"not a podcast feed: the root element is <{local}>")
    channel = _first(root, "", "channel")
    if channel is None:
        raise ParseError(source_file, "not a podcast feed: <rss> has no <channel>")
    return channel, _children(channel, ("",), "item")


def parse_feed(raw: bytes, source_file: str) -> Feed:
    """The feed in `raw`; ParseError for anything that is not a safe, well-formed feed.

    Items without a guid and non-http(s) transcript URLs are left out and listed in
    `problems`: one bad item never costs the others.
    """
    root = _checked_tree(raw, source_file)
    channel, elements = _channel(root, source_file)
    # A stream, never the bytes: feedparser opens a `bytes` argument as a file *path* first.
    parsed = feedparser.parse(io.BytesIO(raw), sanitize_html=True, resolve_relative_uris=False)
    entries: list[Mapping[str, Any]] = list(parsed.get("entries") or [])
    problems: list[str] = []
    if len(entries) != len(elements):
        problems.append(
            f"feedparser read {len(entries)} items where the XML has {len(elements)}; "
            "standard fields may be missing"
        )
    channel_persons = _persons(channel)
    items = []
    for position, element in enumerate(elements, start=1):
        entry = entries[position - 1] if position <= len(entries) else {}
        item = _item(element, entry, position, problems)
        if item is not None:
            if not item.persons and channel_persons:
                item = replace(item, persons=channel_persons)
            items.append(item)
    if not elements:
        problems.append("the feed has no items")
    return _feed(parsed.get("feed") or {}, channel, channel_persons, items, problems)


def _feed(
    info: Mapping[str, Any],
    channel: Element,
    persons: tuple[FeedPerson, ...],
    items: list[FeedItem],
    problems: list[str],
) -> Feed:
    image = info.get("image") or {}
    author = _text(_first(channel, ITUNES_NS, "author")) or _str(info.get("author"))
    return Feed(
        title=_str(info.get("title")),
        link=_str(info.get("link")),
        language=_str(info.get("language")),
        author=author,
        description=_plain(info.get("subtitle") or info.get("summary")),
        image_url=_str(image.get("href")) if isinstance(image, Mapping) else None,
        feed_guid=_podcast_text(channel, "guid"),
        persons=persons,
        items=tuple(items),
        problems=tuple(problems),
        categories=tuple(
            f"{top} > {sub}" if sub else top
            for c in _children(channel, (ITUNES_NS,), "category")
            if (top := _attr(c, "text"))
            for sub in [_attr(s, "text") for s in _children(c, (ITUNES_NS,), "category")] or [None]
        ),
    )
