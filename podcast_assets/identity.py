"""Who and what an episode is: show, number, host and guests, read from its own words.

Podcasts introduce themselves ("This is episode number 881 with Emily Weber", "You're
listening to Gradient Dissent ... I'm your host, Lukas Biewald"); metadata, when a file has
any, wins over these phrases.
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz

from podcast_assets.models import EpisodeIdentity

# A proper name: 1-4 capitalised words ("Emily Weber", "Lukas Biewald", "Jon Krohn").
_NAME = r"(?:Dr\.? )?[A-Z][\w'\u2019-]+(?: (?:[A-Z]\.|[A-Z][\w'\u2019-]+|de|van|von|da)){0,3}"
# A show name: 1-6 capitalised words, optionally with '&'.
_SHOW = r"[A-Z][\w'\u2019&-]*(?: (?:[A-Z0-9][\w'\u2019&-]*|&|of|and|the)){0,5}"

_SHOW_PATTERNS = (
    re.compile(
        rf"(?i:welcome (?:back )?to|you're listening to|you are listening to)"
        rf" (?i:the )?(?P<show>{_SHOW})"
    ),
    re.compile(rf"(?i:episode of) (?i:the )?(?P<show>{_SHOW}) (?i:podcast|show)"),
)
_NUMBER = re.compile(r"(?i)\bepisode (?:number |no\.? ?|#)?(?P<n>\d{1,5})\b")
# Not a decimal ("1.5 million downloads: ...").
_TITLE_NUMBER = re.compile(
    r"^\s*(?i:#|no\.? ?|ep(?:isode)?\.? ?#?)?(?P<n>\d{1,5})\s*[:.\-\u2013\u2014|](?!\d)"
)
_HOST = re.compile(rf"(?i:I'm|I am|I\u2019m) (?i:your host),? (?P<name>{_NAME})")
_GUEST_PATTERNS = (
    re.compile(rf"(?i:episode (?:number )?\d+) (?i:with) (?P<name>{_NAME})"),
    re.compile(
        rf"(?i:a conversation I had with|my guest (?:today )?is|joined by) (?P<name>{_NAME})"
    ),
)
_TITLE_GUEST = re.compile(rf",? with (?P<name>{_NAME})\s*$")
_TRAILING_WORDS = re.compile(r"\s+(?:Podcast|Show|podcast|show)$")
# Intros live at the top; scanning the whole file would pick up quoted shows mid-episode.
_INTRO_CHARS = 4000
_SAME_NAME = 85  # rapidfuzz ratio above which two guest names are one person


def identify(
    text: str,
    *,
    title: str | None = None,
    show: str | None = None,
    host: str | None = None,
) -> EpisodeIdentity:
    """Combine metadata (wins) with what the intro of `text` says."""
    intro = text[:_INTRO_CHARS]
    number = title_number(title) or _first_int(_NUMBER, intro)
    guests = []
    if title and (m := _TITLE_GUEST.search(title)):
        guests.append(m.group("name"))
    for pattern in _GUEST_PATTERNS:
        for m in pattern.finditer(intro):
            name = m.group("name")
            # The title's spelling wins over an ASR variant of the same name ("Weber"/"Webber").
            if all(fuzz.ratio(name, g) < _SAME_NAME for g in guests) and name != host:
                guests.append(name)
    found_host = host or _first_group(_HOST, intro, "name")
    return EpisodeIdentity(
        show=show or find_show(intro),
        episode_number=number,
        host=found_host,
        guests=tuple(g for g in guests if g != found_host),
    )


def episode_key(
    show: str | None,
    episode_number: int | None,
    feed_guid: str | None,
    file_name: str,
    same_content_key: str | None = None,
    season: int | None = None,
) -> str:
    """Files of one episode share this key.

    `<show-slug>:<number>` when both are known (an enriched page and a transcript of it;
    `<show-slug>:s<season>:<number>` from the second season on, where numbers restart),
    else `guid:<guid>` for a file its feed names, else the key of a file with the very same
    bytes (a renamed copy), else `file:<stem>`: files whose names differ only by extension
    (`ep.json`, `ep.srt`) are one episode.
    """
    if show and episode_number is not None:
        if season is not None and season > 1:
            return f"{slugify(show)}:s{season}:{episode_number}"
        return f"{slugify(show)}:{episode_number}"
    if feed_guid:
        return f"guid:{feed_guid}"
    return same_content_key or f"file:{file_stem(file_name)}"


def file_stem(file_name: str) -> str:
    """What files of one episode share: the name without its extension, case-folded."""
    dot = file_name.rfind(".")
    return (file_name[:dot] if dot > 0 else file_name).casefold()


def slugify(value: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def find_show(*texts: str) -> str | None:
    """The show named by the first pattern that matches; the longest name across `texts`.

    Several texts are snippets cut at arbitrary points ("...welcome back to the Super Data"),
    so the longest reading is the least truncated one.
    """
    for pattern in _SHOW_PATTERNS:
        names = [
            _TRAILING_WORDS.sub("", m.group("show").rstrip(".,;:")).strip()
            for text in texts
            if (m := pattern.search(text))
        ]
        if names := [n for n in names if n]:
            return max(names, key=len)
    return None


def title_number(title: str | None) -> int | None:
    """The number a title opens with: "881: ...", "#12 - ...", "Episode 57: ...", "Ep. 3 | ...".

    A bare year ("2024: The year in review") is not an episode number.
    """
    if title and (m := _TITLE_NUMBER.match(title)):
        number = int(m.group("n"))
        labelled = m.group(0).lstrip()[:1] in "#nNeE"
        return None if 1900 <= number <= 2100 and not labelled else number
    return None


def _first_int(pattern: re.Pattern[str], text: str) -> int | None:
    m = pattern.search(text)
    return int(m.group("n")) if m else None


def _first_group(pattern: re.Pattern[str], text: str, group: str) -> str | None:
    m = pattern.search(text)
    return m.group(group).rstrip(".,;:") if m else None
