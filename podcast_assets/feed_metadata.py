"""Feeds as rows, and which feed item a transcript file belongs to.

A show's RSS feed knows what a transcript file does not: the show, the episode's number,
title, publication time and people. A file belongs to an item when its name is the file name
of one of the item's `podcast:transcript` URLs or of its enclosure, or when its stem is the
item's guid (what `podcast-assets fetch` names a file when URLs share a name).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from podcast_assets.identity import file_stem
from podcast_assets.parsing.feed_files import item_file_names
from podcast_assets.parsing.feeds import Feed, FeedItem, FeedPerson
from podcast_assets.rawfiles import guid_stem
from podcast_assets.schema import FEED_ITEMS, SHOWS


@dataclass(frozen=True, slots=True)
class ItemMetadata:
    """What `episodes` takes from a feed item."""

    feed_id: str
    guid: str
    show_name: str | None
    title: str | None
    published_at: datetime | None
    episode_number: int | None
    season: int | None
    duration_seconds: float | None
    hosts: tuple[str, ...]
    guests: tuple[str, ...]
    # The item's transcripts' `language` when they agree, else the channel's <language>.
    language: str | None = None


def feed_rows(
    feed_id: str, source_file: str, content_sha256: str, feed: Feed, ingested_at: datetime
) -> dict[str, list[dict[str, Any]]]:
    """The feed's `shows` row and its `feed_items` rows."""
    show = {
        "feed_id": feed_id,
        "title": feed.title,
        "link": feed.link,
        "language": feed.language,
        "categories": list(feed.categories),
        "author": feed.author,
        "description": feed.description,
        "image_url": feed.image_url,
        "podcast_guid": feed.feed_guid,
        "hosts": _names(feed.persons, "host"),
        "items": len(feed.items),
        "problems": list(feed.problems),
        "source_file": source_file,
        "content_sha256": content_sha256,
        "ingested_at": ingested_at,
    }
    items = [_item_row(feed_id, feed, position, item) for position, item in enumerate(feed.items)]
    return {SHOWS.name: [show], FEED_ITEMS.name: items}


def _item_row(feed_id: str, feed: Feed, position: int, item: FeedItem) -> dict[str, Any]:
    persons = item.persons or feed.persons
    # An item that names only its guests is still hosted by the show's hosts.
    hosts = _names(item.persons, "host") or _names(feed.persons, "host")
    return {
        "feed_id": feed_id,
        "guid": item.guid,
        "position": position,
        "show_name": feed.title,
        "title": item.title,
        "published_at": item.published_at,
        "episode_number": item.episode_number,
        "season": item.season,
        "duration_seconds": item.duration_seconds,
        "enclosure_url": item.enclosure_url,
        "link": item.link,
        "description": item.description,
        "transcripts": json.dumps(
            [
                {"url": t.url, "type": t.mime_type, "language": t.language, "rel": t.rel}
                for t in item.transcripts
            ]
        ),
        "persons": json.dumps(
            [{"name": p.name, "role": p.role, "group": p.group, "href": p.href} for p in persons]
        ),
        "hosts": hosts,
        "guests": _names(persons, "guest"),
        "file_names": list(item_file_names(item)),
    }


def _names(persons: Iterable[FeedPerson], role: str) -> list[str]:
    return [p.name for p in persons if p.role == role]


def item_stems(guid: str, file_names: Iterable[str]) -> set[str]:
    """The file stems that belong to an item: its guid's, and those of its own files' names.

    A sibling in another format (`ep42.vtt` beside the feed's `ep42.json`) is the same episode.
    """
    return {guid.casefold(), guid_stem(guid)} | {file_stem(n) for n in file_names if n}


class FeedIndex:
    """Every stored feed item, looked up by a transcript's file name."""

    def __init__(self, items: Sequence[ItemMetadata], names: Mapping[str, Sequence[str]]) -> None:
        by_name: dict[str, set[ItemMetadata]] = {}
        by_stem: dict[str, set[ItemMetadata]] = {}
        for item in items:
            own = names.get(f"{item.feed_id}\0{item.guid}", ())
            for name in own:
                by_name.setdefault(name.casefold(), set()).add(item)
            for stem in item_stems(item.guid, own):
                by_stem.setdefault(stem, set()).add(item)
        # A name or stem that several items claim (every file called `transcript.json`, every
        # enclosure `episode.mp3`) names none of them: a wrong join is worse than none.
        self._by_name = {k: next(iter(v)) for k, v in by_name.items() if len(v) == 1}
        self._by_stem = {k: next(iter(v)) for k, v in by_stem.items() if len(v) == 1}

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]]) -> FeedIndex:
        """From `feed_items` rows (as dicts), ordered by feed_id and position."""
        items: list[ItemMetadata] = []
        names: dict[str, Sequence[str]] = {}
        for row in sorted(rows, key=lambda r: (r["feed_id"], r["position"])):
            items.append(
                ItemMetadata(
                    feed_id=row["feed_id"],
                    guid=row["guid"],
                    show_name=row["show_name"],
                    title=row["title"],
                    published_at=row["published_at"],
                    episode_number=row["episode_number"],
                    season=row.get("season"),
                    duration_seconds=row["duration_seconds"],
                    hosts=tuple(row["hosts"] or ()),
                    guests=tuple(row["guests"] or ()),
                    language=_item_language(row),
                )
            )
            names[f"{row['feed_id']}\0{row['guid']}"] = row["file_names"] or ()
        return cls(items, names)

    def match(self, file_name: str) -> ItemMetadata | None:
        """The item this transcript file belongs to, if any feed names it."""
        return self._by_name.get(file_name.casefold()) or self._by_stem.get(file_stem(file_name))


def _item_language(row: Mapping[str, Any]) -> str | None:
    transcripts = row.get("transcripts")
    if isinstance(transcripts, str):
        transcripts = json.loads(transcripts)
    declared = {t.get("language") for t in transcripts or () if t.get("language")}
    if len(declared) == 1:
        return str(next(iter(declared)))
    return row.get("show_language")
