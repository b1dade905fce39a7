"""Which raw files a feed item names: the file names of its transcript and enclosure URLs."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from podcast_assets.parsing.feeds import FeedItem


def url_file_name(url: str) -> str | None:
    """The file name a URL names: its last path segment, URL-decoded and made safe to save.

    Separators and NULs become `_` and leading dots go, so a name never leaves the raw
    directory or hides in it; `podcast-assets fetch` saves under this same name.
    """
    segment = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    safe = re.sub(r"[/\\\x00]", "_", segment).lstrip(".").strip()
    return safe or None


def item_file_names(item: FeedItem) -> tuple[str, ...]:
    """The names that tie a raw file to this item: each transcript's and the enclosure's file
    name, then the guid (a file whose stem equals the guid belongs here; callers compare
    stems)."""
    urls = [t.url for t in item.transcripts]
    if item.enclosure_url:
        urls.append(item.enclosure_url)
    names = [name for name in map(url_file_name, urls) if name]
    names.append(item.guid)
    return tuple(dict.fromkeys(names))
