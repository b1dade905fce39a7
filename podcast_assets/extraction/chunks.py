"""Cutting an episode's transcript into docs the pipeline accepts (below `nlp.max_length`).

Cuts fall between segments, so a sentence is split only where a single segment is too long.
"""

from __future__ import annotations

from collections.abc import Sequence


def chunk_ranges(
    text: str, segment_spans: Sequence[tuple[int, int]], max_chars: int
) -> list[tuple[int, int]]:
    """[start, end) ranges of `text` of at most `max_chars`, cut between segments.

    A segment longer than `max_chars` is cut at the last whitespace before the limit (or hard
    at the limit if it has none). Always returns at least one range, so an empty transcript
    still yields one (empty) doc and keeps its place in the stream.
    """
    ranges: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    for start, end in segment_spans:
        if end - start > max_chars:
            if current:
                ranges.append(current)
                current = None
            ranges.extend(_split_long(text, start, end, max_chars))
        elif current is None:
            current = (start, end)
        elif end - current[0] <= max_chars:
            current = (current[0], end)
        else:
            ranges.append(current)
            current = (start, end)
    if current:
        ranges.append(current)
    return ranges or [(0, 0)]


def _split_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    out = []
    while end - start > max_chars:
        cut = text.rfind(" ", start + 1, start + max_chars)
        cut = cut if cut > start else start + max_chars
        out.append((start, cut))
        start = cut
    out.append((start, end))
    return out
