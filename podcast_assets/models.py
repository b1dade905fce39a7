"""Frozen value objects shared by parsing, extraction and the warehouse.

They are the seams between the pure domain modules: parsing produces a `ParsedEpisode`,
extraction consumes its segments (or the analyser's front matter) and produces row dicts
whose keys are the warehouse columns declared in `schema`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class SourceFormat(StrEnum):
    """The input formats, recognised from content (any extension, `.txt` included).

    Every format but `rss_feed` is an episode; a feed describes a show and its episodes.
    """

    ENRICHED_PAGE = "enriched_page"
    PLAIN_TRANSCRIPT = "plain_transcript"
    TIMESTAMPED_TRANSCRIPT = "timestamped_transcript"
    WEBVTT = "webvtt"
    SUBRIP = "subrip"
    PODCAST_JSON = "podcast_json"
    HTML_TRANSCRIPT = "html_transcript"
    RSS_FEED = "rss_feed"


@dataclass(frozen=True, slots=True)
class Segment:
    """One ordered piece of a transcript: a line, a cue or a paragraph.

    `char_start` is the offset of `text` inside the episode transcript, which is defined as
    the segments' texts joined with a single newline (see `ParsedEpisode.transcript`).
    """

    seq: int
    text: str
    char_start: int
    start_seconds: float | None = None
    end_seconds: float | None = None
    speaker: str | None = None
    # The role the speaker label writes after the name, lower case ("host" for "Ana (host):").
    speaker_role: str | None = None

    @property
    def char_end(self) -> int:
        return self.char_start + len(self.text)


@dataclass(frozen=True, slots=True)
class EpisodeIdentity:
    """Who and what an episode is, from metadata first and the transcript's own words second."""

    show: str | None = None
    episode_number: int | None = None
    host: str | None = None
    guests: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedEpisode:
    """Everything one raw file says, before any NLP."""

    source_format: SourceFormat
    encoding: str
    segments: tuple[Segment, ...]
    identity: EpisodeIdentity
    title: str | None = None
    published_at: datetime | None = None
    duration_seconds: float | None = None
    summary: str | None = None
    tags: tuple[str, ...] = ()
    # The analyser's YAML front matter, kept whole for the extraction assets (enriched pages only).
    front_matter: Mapping[str, Any] | None = field(default=None, hash=False)
    # The language the file declares (WebVTT `Language:` header, HTML `lang`, front matter
    # `language:`), as written; NULL when it declares none.
    declared_language: str | None = None

    @property
    def transcript(self) -> str:
        return "\n".join(s.text for s in self.segments)

    @property
    def word_count(self) -> int | None:
        if not self.segments:
            return None
        return sum(len(s.text.split()) for s in self.segments)


class Step(StrEnum):
    """The two pipeline steps; `partition_state.step` holds these values."""

    INGEST = "ingest"
    EXTRACT = "extract"


@dataclass(frozen=True, slots=True)
class PartitionState:
    """What a partition holds for one step: the bytes and the code it was built from."""

    content_sha256: str
    code_version: str


@dataclass(frozen=True, slots=True)
class RawFile:
    """A file found in the raw directory, identified by its partition key."""

    episode_id: str
    path: str
    name: str
    content_sha256: str
    size_bytes: int


def segments_from_texts(
    texts: Sequence[str],
    starts: Sequence[float | None] | None = None,
    ends: Sequence[float | None] | None = None,
    speakers: Sequence[str | None] | None = None,
    roles: Sequence[str | None] | None = None,
) -> tuple[Segment, ...]:
    """Number segments and compute their offsets in the newline-joined transcript."""
    out: list[Segment] = []
    offset = 0
    for i, text in enumerate(texts):
        out.append(
            Segment(
                seq=i,
                text=text,
                char_start=offset,
                start_seconds=starts[i] if starts else None,
                end_seconds=ends[i] if ends else None,
                speaker=speakers[i] if speakers else None,
                speaker_role=roles[i] if roles else None,
            )
        )
        offset += len(text) + 1
    return tuple(out)
