"""HTML transcripts as the Podcast Namespace describes them: `<cite>`, `<time>`, `<p>`.

A segment per paragraph; its start is the latest `<time>` before it (or the latest paragraph
that holds nothing but a time, as some exporters write them) and its speaker the latest
`<cite>` (or `<dt>`, for pages that list turns as a definition list) until the next one.
Read with the standard library's HTML parser, which copes with the unclosed tags real pages
have; entities are decoded, scripts and styles ignored, and no markup reaches the text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from podcast_assets.models import ParsedEpisode, SourceFormat
from podcast_assets.parsing.errors import ParseError
from podcast_assets.parsing.speakers import name_and_role, speaker_value
from podcast_assets.parsing.transcripts import build_transcript

_TIME = re.compile(r"^\s*(?:(?P<h>\d{1,2}):)?(?P<m>\d{1,3}):(?P<s>\d{1,2}(?:[.,]\d{1,3})?)\s*$")
# Not `head`: HTML5 lets a page leave out `</head>`, and a head holds no text anyway.
_IGNORED = frozenset({"script", "style", "title", "template", "noscript"})
# Tags that end a paragraph's text when the page forgot its `</p>`.
_LIST_BLOCKS = frozenset({"dl", "dt", "dd"})
_BLOCKS = frozenset({"p", "cite", "time", "div", "section", "article", "h1", "h2", "h3", "li"})


class _TranscriptReader(HTMLParser):
    """Collects (start, speaker, text) per paragraph, in document order.

    Long because the parser's callbacks share one small state machine (inside a paragraph,
    a label, or a label inside a paragraph); split up, each half would need the other's state.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        # (start, speaker, its role, text)
        self.paragraphs: list[tuple[float | None, str | None, str | None, str]] = []
        self._speaker: str | None = None
        self._role: str | None = None
        self._start: float | None = None
        self._capture: str | None = None  # "p", "cite" or "time" while inside one
        self._buffer: list[str] = []
        self._ignored = 0
        self._time_attr = ""
        self._paused: list[str] | None = None
        self._inline_cites = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _IGNORED:
            self._ignored += 1
            return
        if tag in _LIST_BLOCKS:  # `<dl><dt>Name</dt><dd><p>...`: a `<dt>` is a label too
            self._close_all()
            tag = "cite" if tag == "dt" else tag
        if tag in ("cite", "time"):
            self._open_label(tag, attrs)
        elif tag in _BLOCKS:
            self._close_all()
            if tag == "p":
                self._capture, self._buffer = "p", []
        elif tag == "br" and self._capture:
            self._buffer.append(" ")

    def _open_label(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._capture == "p" and tag == "cite" and "".join(self._buffer).strip():
            self._inline_cites += 1  # "I read <cite>The Hobbit</cite>": a title, not a speaker
            return
        if self._capture in ("cite", "time"):
            self._read_label(self._capture)  # `<cite>Ann <time>0:05</time></cite>`
        elif self._capture == "p":
            # `<p><cite>Name:</cite> <time>0:01</time> words</p>`: read the label, then go on
            # with the paragraph.
            self._paused = self._buffer
        self._capture, self._buffer = tag, []
        if tag == "time":
            self._time_attr = dict(attrs).get("datetime") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag in _LIST_BLOCKS:
            tag = "cite" if tag == "dt" else "p"  # `</dd>` ends an unclosed paragraph
        if tag in _IGNORED:
            self._ignored = max(0, self._ignored - 1)
        elif tag == "cite" and self._inline_cites:
            self._inline_cites -= 1
        elif tag in ("cite", "time"):
            if tag == self._capture:
                self._close()
        elif tag in _BLOCKS:
            self._close_all()

    def handle_data(self, data: str) -> None:
        if self._capture and not self._ignored:
            self._buffer.append(data)

    def close(self) -> None:
        super().close()
        self._close_all()

    def _close_all(self) -> None:
        """End whatever is open: a label inside a paragraph, then the paragraph."""
        while self._capture:
            self._close()

    def _close(self) -> None:
        tag, self._capture = self._capture, None
        self._inline_cites = 0 if tag == "p" else self._inline_cites
        if tag is None:
            return
        if tag != "p" and self._paused is not None:
            self._read_label(tag)
            self._capture, self._buffer, self._paused = "p", self._paused, None
            return
        if tag == "p":
            self._read_paragraph()
        else:
            self._read_label(tag)

    def _read_paragraph(self) -> None:
        text = " ".join("".join(self._buffer).split())
        seconds = _seconds(text)
        if seconds is not None:  # `<p>3:17</p>`: a page that writes its times as paragraphs
            self._start = seconds
        elif text:
            self.paragraphs.append((self._start, self._speaker, self._role, text))

    def _read_label(self, tag: str) -> None:
        if tag == "time":
            # A `datetime` attribute, when it is a clock time, is the text's machine form.
            # An unreadable time keeps the previous start rather than inventing one.
            seconds = _seconds(self._time_attr)
            if seconds is None:
                seconds = _seconds("".join(self._buffer))
            self._start = seconds if seconds is not None else self._start
            return
        name, role = name_and_role(" ".join("".join(self._buffer).split()).rstrip(":").strip())
        self._speaker = speaker_value(name) if name else None
        self._role = role if self._speaker else None


def parse_html_transcript(text: str, encoding: str, source_file: str) -> ParsedEpisode:
    reader = _TranscriptReader()
    reader.feed(text)
    reader.close()
    if not reader.paragraphs:
        raise ParseError(source_file, "HTML has no <p> paragraph with text: nothing to transcribe")
    starts = [p[0] for p in reader.paragraphs]
    return build_transcript(
        SourceFormat.HTML_TRANSCRIPT,
        encoding,
        [p[3] for p in reader.paragraphs],
        starts,
        _ends(starts),
        [p[1] for p in reader.paragraphs],
        [p[2] for p in reader.paragraphs],
    )


def _ends(starts: list[float | None]) -> list[float | None]:
    """HTML gives only starts: a timed paragraph ends where the next later start is."""
    ends: list[float | None] = [None] * len(starts)
    following: float | None = None
    for i in range(len(starts) - 1, -1, -1):
        start = starts[i]
        if start is not None:
            ends[i] = following if following is not None and following >= start else None
            following = start
    return ends


def _seconds(stamp: str) -> float | None:
    """`m:ss`, `mm:ss`, `h:mm:ss`, with optional fractions; None for anything else."""
    match = _TIME.match(stamp)
    if not match:
        return None
    hours = int(match.group("h") or 0)
    seconds = float(match.group("s").replace(",", "."))
    return round(hours * 3600 + int(match.group("m")) * 60 + seconds, 3)
