"""Where `podcast-assets fetch` puts each file: names from URLs and guids, never a clobber.

Names are planned for the whole feed at once (so they do not depend on `--limit`), and a
manifest in the raw directory remembers which URL each fetched file came from.
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from podcast_assets.parsing.feed_files import url_file_name
from podcast_assets.parsing.feeds import Feed, FeedItem
from podcast_assets.rawfiles import guid_stem

_HTTP_SCHEMES = ("http", "https")
_MAX_NAME_CHARS = 120
_EXTENSIONS = {
    "application/json": "json",
    "application/x-subrip": "srt",
    "application/srt": "srt",
    "text/vtt": "vtt",
    "text/html": "html",
    "text/plain": "txt",
}


def feed_file_name(source: str) -> str:
    """Where a feed is saved: a slug of the URL's host and path, always.

    Feed URLs end in `/feed`, `/rss` or `feed.xml`, names that say nothing and collide
    between shows: one show's feed must never replace another's.
    """
    parts = urlsplit(source)
    if parts.scheme.lower() not in _HTTP_SCHEMES:
        return _safe_name(PurePosixPath(source.replace("\\", "/")).name) or "feed.xml"
    path = re.sub(r"\.(?:xml|rss)$", "", parts.path, flags=re.IGNORECASE)
    slug = re.sub(r"[^a-z0-9]+", "-", f"{parts.hostname or ''}{path}".lower()).strip("-")
    return f"{slug[:_MAX_NAME_CHARS] or 'feed'}.xml"


def _safe_name(name: str) -> str:
    return re.sub(r"[/\\\x00]", "_", name).lstrip(".").strip()


def _extension(name: str | None, mime_type: str | None) -> str:
    suffix = PurePosixPath(name).suffix.lstrip(".").lower() if name else ""
    if re.fullmatch(r"[a-z0-9]{1,8}", suffix):
        return suffix
    return _EXTENSIONS.get((mime_type or "").split(";")[0].strip().lower(), "txt")


def plan_names(feed: Feed, reserved: str = "") -> dict[str, str]:
    """URL -> file name for every transcript of the feed (all items, so names do not depend on
    `limit`): the URL's own file name, or `<guid slug>.<ext>` when several URLs share one (hosts
    often call every file `transcript.json`), then `-2`, `-3` until unique."""
    jobs = [(item, t.url, t.mime_type) for item in feed.items for t in item.transcripts]
    jobs = list({url: (item, url, mime) for item, url, mime in reversed(jobs)}.values())[::-1]
    owners: dict[str, set[str]] = {}
    for _, url, _ in jobs:
        base = url_file_name(url)
        if base:
            owners.setdefault(base.casefold(), set()).add(url)
    names: dict[str, str] = {}
    taken = {reserved.casefold()} if reserved else set()
    for _, url, _ in jobs:
        base = url_file_name(url)
        unique = base and len(owners[base.casefold()]) == 1 and base.casefold() not in taken
        if base and unique and len(base) <= _MAX_NAME_CHARS:
            names[url] = base
            taken.add(base.casefold())
    for item, url, mime in jobs:
        if url not in names:
            names[url] = _guid_name(item, _extension(url_file_name(url), mime), taken)
            taken.add(names[url].casefold())
    return names


def _guid_name(item: FeedItem, extension: str, taken: set[str]) -> str:
    stem = guid_stem(item.guid)
    name, counter = f"{stem}.{extension}", 1
    while name.casefold() in taken:
        counter += 1
        name = f"{stem}-{counter}.{extension}"
    return name


class Manifest:
    """Which URL each fetched file came from, in a hidden file of the raw directory.

    So that a file is only ever replaced by a new download of its own URL: another show's
    `episode-1.json`, or a file the user put there, is never overwritten; the download is
    saved beside it, under a name that adds the feed's.
    """

    FILE = ".fetched-urls.json"

    def __init__(self, raw_dir: Path) -> None:
        self.path = raw_dir / self.FILE
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            loaded = {}
        self.urls: dict[str, str] = loaded if isinstance(loaded, dict) else {}
        self._saved = dict(self.urls)

    def name_for(self, url: str, planned: str, feed_stem: str) -> str:
        name, counter = planned, 1
        while (self.path.parent / name).exists() and self.urls.get(name) != url:
            counter += 1
            stem, dot, extension = planned.rpartition(".")
            suffix = feed_stem if counter == 2 else f"{feed_stem}-{counter - 1}"
            name = f"{stem}-{suffix}{dot}{extension}" if dot else f"{planned}-{suffix}"
        return name

    def record(self, name: str, url: str) -> None:
        self.urls[name] = url

    def save(self) -> None:
        """Written whole and renamed into place, and only when it changed (a fetch that finds
        nothing new touches nothing); losing it only costs extra copies later."""
        if self.urls == self._saved:
            return
        with contextlib.suppress(OSError):
            temp = self.path.with_name(self.FILE + ".part")
            temp.write_text(json.dumps(self.urls, indent=1, sort_keys=True), encoding="utf-8")
            temp.replace(self.path)
