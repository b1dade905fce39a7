"""Deterministic benchmark corpus: many realistic raw podcast files grown from the four samples.

Four sample files cannot show how the pipeline scales, and real episodes cannot be shipped, so
this recombines and lightly mutates the samples' transcript paragraphs and page metadata into
any number of files across all five input formats. Everything derives from `(seed, index)`, so
the same arguments give byte-identical files and a smaller corpus is a prefix of a larger one
(timings at n=100 and n=1000 measure the same first 100 files). Files are written one at a time;
only the seed pool (a few hundred kB) stays in memory.

    python -m benchmarks.corpus OUT_DIR --n 1000 --seed 0
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from podcast_assets.models import SourceFormat

DEFAULT_SEEDS_DIR = Path(__file__).resolve().parents[1] / "data" / "raw"

ENRICHED_PAGE = SourceFormat.ENRICHED_PAGE.value
PLAIN_TRANSCRIPT = SourceFormat.PLAIN_TRANSCRIPT.value
TIMESTAMPED_TRANSCRIPT = SourceFormat.TIMESTAMPED_TRANSCRIPT.value
WEBVTT = SourceFormat.WEBVTT.value
SUBRIP = SourceFormat.SUBRIP.value
PODCAST_JSON = SourceFormat.PODCAST_JSON.value
HTML_TRANSCRIPT = SourceFormat.HTML_TRANSCRIPT.value
# Every episode format (a feed is not an episode).
ALL_FORMATS: tuple[str, ...] = tuple(
    f.value for f in SourceFormat if f is not SourceFormat.RSS_FEED
)

# Mostly transcripts, since they carry the NLP cost; 3 of every 20 files are enriched pages.
FORMAT_WEIGHTS: Mapping[str, int] = {
    ENRICHED_PAGE: 3,
    PLAIN_TRANSCRIPT: 5,
    TIMESTAMPED_TRANSCRIPT: 4,
    WEBVTT: 4,
    SUBRIP: 4,
    PODCAST_JSON: 2,
    HTML_TRANSCRIPT: 2,
}
NATURAL_EXTENSIONS: Mapping[str, str] = {
    ENRICHED_PAGE: ".md",
    PLAIN_TRANSCRIPT: ".txt",
    TIMESTAMPED_TRANSCRIPT: ".txt",
    WEBVTT: ".vtt",
    SUBRIP: ".srt",
    PODCAST_JSON: ".json",
    HTML_TRANSCRIPT: ".html",
}
MIN_TRANSCRIPT_WORDS = 6_000
MAX_TRANSCRIPT_WORDS = 12_000


@dataclass(frozen=True)
class CorpusStats:
    """What a generation run wrote, so a benchmark can report throughput per file, byte and word."""

    files: int
    bytes: int
    words: int  # spoken transcript words (cue timings, tags and page metadata excluded)
    by_format: Mapping[str, int] = field(hash=False)


@dataclass(frozen=True, slots=True)
class GeneratedFile:
    """One written file and the identity it was given, for callers that want per-file detail."""

    path: Path
    source_format: str
    episode_number: int
    published_at: datetime
    show: str
    bytes: int
    words: int


@dataclass(frozen=True, slots=True)
class _Show:
    name: str
    host: str
    tagline: str
    style: str  # "welcome" (Super Data Science intro) or "listening" (Gradient Dissent intro)
    weight: int


# The two real shows of the samples plus made-up ones, so show detection cannot overfit.
SHOWS: tuple[_Show, ...] = (
    _Show(
        "Super Data Science Podcast",
        "Jon Krohn",
        "the most listened to podcast in the data science industry",
        "welcome",
        7,
    ),
    _Show(
        "Gradient Dissent",
        "Lukas Biewald",
        "a show about machine learning in the real world",
        "listening",
        5,
    ),
    _Show(
        "Tensor Tides Podcast",
        "Priya Raman",
        "the weekly show about the people who ship machine learning",
        "welcome",
        3,
    ),
    _Show(
        "The Latent Hour",
        "Marcus Delgado",
        "a show about what really happens inside AI teams",
        "listening",
        3,
    ),
    _Show(
        "Data Harbor Podcast",
        "Hannah Okafor",
        "where analytics engineers talk shop",
        "welcome",
        2,
    ),
)

# fmt: off
_GUEST_FIRST = (
    "Amara", "Benedikt", "Chen", "Daniela", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas",
    "Keiko", "Liam", "Maya", "Nikhil", "Olga", "Pablo", "Rosa", "Samir", "Tanya", "Viktor",
    "Wen", "Yara", "Zoe",
)
_GUEST_LAST = (
    "Adeyemi", "Brennan", "Castillo", "Dubois", "Eriksen", "Fischer", "Gupta", "Haddad",
    "Ivanova", "Jansen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okonkwo", "Petrov",
    "Quinn", "Rahman", "Silva", "Tanaka", "Underwood", "Varga", "Whitfield", "Yilmaz", "Zhang",
)
# fmt: on
_ROLES = (
    "Principal Solutions Architect",
    "Senior Director of Product Management",
    "Chief Data Scientist",
    "Head of Machine Learning",
    "Staff Research Engineer",
    "VP of AI Platform",
    "co-founder and CEO",
    "Distinguished Engineer",
)
_COMPANIES = (
    "AWS",
    "NVIDIA",
    "Dell",
    "Databricks",
    "Hugging Face",
    "Snowflake",
    "Cohere",
    "Weights & Biases",
    "Lumen Robotics",
    "Quarry Analytics",
    "Northwind Labs",
)
_SPONSORS = (
    "ODSC, the Open Data Science Conference",
    "Dell AI Factory with NVIDIA",
    "Quarry Analytics",
    "the Northwind Labs developer program",
    "AWS Trainium",
)
_TITLE_TOPICS = (
    "Retrieval-Augmented Generation",
    "Vector Databases",
    "Custom AI Accelerators",
    "MLOps at Scale",
    "Agentic AI",
    "Synthetic Data",
    "LLM Evaluation",
    "Edge Inference",
    "GPU Scheduling",
    "Open-Source Foundation Models",
)
_TITLE_TEMPLATES = (
    "{topic} in Production, with {guest}",
    "{topic}: Hype, Reality and What Comes Next, with {guest}",
    "Beyond the Benchmark: {topic}, with {guest}",
    "How {company} Does {topic}, with {guest}",
)

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_NAME = r"[A-Z][a-z]+ [A-Z][a-z]+"
_HOST_RE = re.compile(rf"your host,? ({_NAME})")
_GUEST_RES = (
    re.compile(rf"episode number \d+ with ({_NAME})"),
    re.compile(rf"conversation I had with ({_NAME})"),
    re.compile(rf", with ({_NAME})'?$", re.M),
)
_SHOW_RES = (
    re.compile(r"[Ww]elcome (?:back )?to the ((?:[A-Z][a-z]+ )+)[Pp]odcast"),
    re.compile(r"You're listening to ((?:[A-Z][a-z]+ ?)+),"),
)
# Paragraphs that state an episode's identity; kept out of bodies so every file states one.
_IDENTITY_RE = re.compile(
    r"episode number \d+|your host|you're listening to|welcome (?:back )?to the", re.I
)
_TS_LINE_RE = re.compile(r"^\[(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})\]\s+(.*)$")
_TITLE_NUMBER_RE = re.compile(r"^(\d+):\s*")
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")
_NUMBER_RE = re.compile(r"(?<![\d.,])\b(\d{2,3})\b(?![.,]\d)")
_SENTENCE_END = (".", "?", "!", '."', '?"', '!"')


@dataclass(frozen=True)
class _SeedPool:
    """What the samples contribute: body paragraphs, page metadata and the names to swap out."""

    paragraphs: tuple[str, ...]
    pages: tuple[Mapping[str, Any], ...]
    names_re: re.Pattern[str]  # one alternative per seed show / host / guest name
    name_roles: tuple[str, ...]  # role of each alternative: "show", "host" or "guest"
    episode_numbers_re: re.Pattern[str]  # the seed pages' own episode numbers


@dataclass(frozen=True, slots=True)
class _Plan:
    index: int
    source_format: str
    ext: str
    number: int
    published_at: datetime
    show: _Show
    guest: str
    role: str
    company: str
    sponsor: str


def _detect_seed_format(text: str) -> str | None:
    text = text.lstrip("\ufeff")
    if text.startswith("---\n"):
        return ENRICHED_PAGE
    first = next((line for line in text.splitlines() if line.strip()), "")
    if _TS_LINE_RE.match(first):
        return TIMESTAMPED_TRANSCRIPT
    if first.startswith(("WEBVTT", "{", "[", "<")) or first.strip().isdigit():
        # Subtitle, JSON and HTML transcripts and feeds are not needed: the corpus is rebuilt
        # from the prose of the plain and timestamped seeds and the analyser's pages.
        return None
    return PLAIN_TRANSCRIPT


def _front_matter(text: str) -> tuple[dict[str, Any], str]:
    lines = text.lstrip("\ufeff").split("\n")
    end = lines.index("---", 1)
    data = yaml.safe_load("\n".join(lines[1:end]))
    if not isinstance(data, dict):
        raise ValueError("front matter is not a mapping")
    return data, "\n".join(lines[end + 1 :])


def _merge_fragments(lines: Sequence[str], min_words: int = 30) -> list[str]:
    """Join subtitle-sized fragments into paragraphs, so every format can re-cut them its way."""
    out: list[str] = []
    buf: list[str] = []
    for line in lines:
        buf.append(line)
        words = sum(len(b.split()) for b in buf)
        if words >= min_words and line.rstrip().endswith(_SENTENCE_END):
            out.append(" ".join(buf))
            buf = []
    if buf:
        out.append(" ".join(buf))
    return out


def _load_seed_pool(seeds_dir: Path = DEFAULT_SEEDS_DIR) -> _SeedPool:
    """Read the samples once; each file's format is recognised from its content, not its name."""
    paragraphs: list[str] = []
    pages: list[Mapping[str, Any]] = []
    hosts: set[str] = set()
    guests: set[str] = set()
    shows: set[str] = set()
    numbers: set[str] = set()
    for path in sorted(p for p in Path(seeds_dir).iterdir() if p.is_file()):
        text = path.read_text(encoding="utf-8")
        fmt = _detect_seed_format(text)
        if fmt is None:
            continue
        hosts.update(_HOST_RE.findall(text))
        for guest_re in _GUEST_RES:
            guests.update(guest_re.findall(text))
        for show_re in _SHOW_RES:
            shows.update(s.strip() for s in show_re.findall(text))
        if fmt == ENRICHED_PAGE:
            data, _ = _front_matter(text)
            pages.append(data)
            match = _TITLE_NUMBER_RE.match(str(data.get("title", "")))
            if match:
                numbers.add(match.group(1))
            continue
        if fmt == TIMESTAMPED_TRANSCRIPT:
            cues = [m.group(3).strip() for m in map(_TS_LINE_RE.match, text.splitlines()) if m]
            units = _merge_fragments([c for c in cues if c])
        else:
            units = [line.strip() for line in text.splitlines() if line.strip()]
        paragraphs.extend(u for u in units if not _IDENTITY_RE.search(u))
    if not paragraphs or not pages:
        raise ValueError(f"{seeds_dir} needs at least one transcript and one enriched page")

    # Host and guest first names stand for the person; an optional capitalised word after it
    # catches the transcription's spelling variants of the surname (Krohn, Crone, Cron).
    alternatives: list[tuple[str, str]] = [
        (rf"(?i:\b{re.escape(s)}(?: podcast)?\b)", "show") for s in sorted(shows, key=len)[::-1]
    ]
    firsts: dict[str, str] = {}
    for role, names in (("guest", guests), ("host", hosts)):
        for name in names:
            firsts[name.split()[0]] = role
    alternatives += [
        (rf"\b{re.escape(f)}(?: [A-Z][a-z]+)?\b", r) for f, r in sorted(firsts.items())
    ]
    names_re = re.compile("|".join(f"(?P<n{i}>{p})" for i, (p, _) in enumerate(alternatives)))
    numbers_re = re.compile(rf"\b(?:{'|'.join(sorted(numbers)) or '(?!)'})\b")
    return _SeedPool(
        paragraphs=tuple(paragraphs),
        pages=tuple(pages),
        names_re=names_re,
        name_roles=tuple(r for _, r in alternatives),
        episode_numbers_re=numbers_re,
    )


def _substituter(pool: _SeedPool, plan: _Plan) -> Callable[[str], str]:
    """Rename the samples' show, host and guest to this file's, so each file is one episode."""
    new = {"show": plan.show.name, "host": plan.show.host, "guest": plan.guest}

    def replace(match: re.Match[str]) -> str:
        role = pool.name_roles[int(str(match.lastgroup)[1:])]
        name = new[role]
        return name if role == "show" or " " in match.group(0) else name.split()[0]

    def sub(text: str) -> str:
        text = pool.names_re.sub(replace, text)
        return pool.episode_numbers_re.sub(str(plan.number), text)

    return sub


def _weighted(rng: random.Random, items: Sequence[Any], weights: Sequence[int]) -> Any:
    return rng.choices(items, weights=weights, k=1)[0]


def _format_block(seed: int, block: int, formats: Sequence[str]) -> list[str]:
    """One schedule block: every format once (so small corpora have them all), then the rest."""
    rng = random.Random(f"corpus:{seed}:block:{block}")
    first = list(formats)
    rng.shuffle(first)
    rest = [f for f in formats for _ in range(FORMAT_WEIGHTS[f] - 1)]
    rng.shuffle(rest)
    return first + rest


def _plan(seed: int, index: int, source_format: str) -> _Plan:
    corpus_rng = random.Random(f"corpus:{seed}")
    base_number = corpus_rng.randrange(1_000, 4_000)
    start = datetime(2019, 1, 1, tzinfo=UTC) + timedelta(days=corpus_rng.randrange(365))
    rng = random.Random(f"corpus:{seed}:file:{index}")
    # Strides of 3 numbers and 2 days with jitter inside the stride keep both unique and sorted.
    number = base_number + 3 * index + rng.randrange(3)
    published = start + timedelta(
        days=2 * index + rng.randrange(2), hours=rng.randrange(6, 20), minutes=rng.randrange(60)
    )
    ext = ".txt" if rng.random() < 0.5 else NATURAL_EXTENSIONS[source_format]
    return _Plan(
        index=index,
        source_format=source_format,
        ext=ext,
        number=number,
        published_at=published,
        show=_weighted(rng, SHOWS, [s.weight for s in SHOWS]),
        guest=f"{rng.choice(_GUEST_FIRST)} {rng.choice(_GUEST_LAST)}",
        role=rng.choice(_ROLES),
        company=rng.choice(_COMPANIES),
        sponsor=rng.choice(_SPONSORS),
    )


def _long_date(moment: datetime) -> str:
    return f"{moment:%B} {moment.day}, {moment.year}"


# --- transcripts -------------------------------------------------------------------------------


def _tweak_numbers(rng: random.Random, text: str) -> str:
    def tweak(match: re.Match[str]) -> str:
        value = int(match.group(1))
        changed = value + rng.choice((-1, 1)) * rng.randint(1, max(1, value // 10))
        return str(changed) if changed >= 10 else match.group(1)

    return _NUMBER_RE.sub(tweak, text)


def _mutate(rng: random.Random, paragraph: str) -> str:
    """Light edits so recombined paragraphs are not verbatim copies (dedup would skew timings)."""
    sentences = _SENTENCE_SPLIT_RE.split(paragraph)
    roll = rng.random()
    if len(sentences) >= 3 and roll < 0.08:
        del sentences[rng.randrange(len(sentences))]
    elif len(sentences) >= 2 and roll < 0.13:
        i = rng.randrange(len(sentences))
        sentences.insert(i + 1, sentences[i])
    text = " ".join(sentences)
    return _tweak_numbers(rng, text) if rng.random() < 0.1 else text


def _body(
    rng: random.Random, pool: _SeedPool, sub: Callable[[str], str], target_words: int
) -> list[str]:
    """Runs of consecutive seed paragraphs from random places, so local flow stays plausible."""
    out: list[str] = []
    words = 0
    while words < target_words:
        start = rng.randrange(len(pool.paragraphs))
        for paragraph in pool.paragraphs[start : start + rng.randint(2, 8)]:
            text = _mutate(rng, sub(paragraph))
            out.append(text)
            words += len(text.split())
            if words >= target_words:
                break
    for i in range(len(out) - 1):
        if rng.random() < 0.05:
            out[i], out[i + 1] = out[i + 1], out[i]
    return out


def _intro(rng: random.Random, plan: _Plan, body: list[str]) -> list[tuple[str, str]]:
    """The identity statements, worded the way the samples word them."""
    show, host, when = plan.show, plan.show.host, _long_date(plan.published_at)
    guest_line = f"{plan.guest}, {plan.role} at {plan.company}"
    if show.style == "welcome":
        return [
            (
                f"This is episode number {plan.number} with {guest_line}. "
                f"Today's episode is brought to you by {plan.sponsor}.",
                host,
            ),
            (
                f"Welcome to the {show.name}, {show.tagline}. Each week, we bring you fun and "
                "inspiring people and ideas exploring the cutting edge of machine learning, AI, "
                f"and related technologies. I'm your host, {host}. Thanks for joining me today. "
                f"This episode was published on {when}. And now let's make the complex simple.",
                host,
            ),
        ]
    cold_open = " ".join(_SENTENCE_SPLIT_RE.split(body[0])[: rng.randint(1, 2)])
    return [
        (cold_open, plan.guest),
        (f"You're listening to {show.name}, {show.tagline}, and I'm your host, {host}.", host),
        (
            f"This is episode number {plan.number} with {plan.guest}, who is {plan.role} at "
            f"{plan.company}. We published this conversation on {when}. I hope you enjoy it.",
            host,
        ),
    ]


def _transcript(
    rng: random.Random, pool: _SeedPool, plan: _Plan
) -> tuple[list[tuple[str, str]], int]:
    """(paragraph, speaker) pairs and their word count; questions go to the host."""
    sub = _substituter(pool, plan)
    # Headroom for the intro and the last paragraph's overshoot; the trim below is a backstop.
    body = _body(rng, pool, sub, rng.randint(MIN_TRANSCRIPT_WORDS, MAX_TRANSCRIPT_WORDS - 400))
    intro = _intro(rng, plan, body)
    intro_words = sum(len(text.split()) for text, _ in intro)
    while len(body) > 1 and sum(len(p.split()) for p in body) + intro_words > MAX_TRANSCRIPT_WORDS:
        body.pop()
    paras = intro + [(p, plan.show.host if p.rstrip().endswith("?") else plan.guest) for p in body]
    return paras, sum(len(text.split()) for text, _ in paras)


def _in_name(previous: str, word: str) -> bool:
    return previous[:1].isupper() and previous[-1:].isalpha() and word[:1].isupper()


def _chunks(text: str, max_chars: int, min_chars: int) -> Iterator[str]:
    """Cut a paragraph into cue texts at sentence ends or the length limit, as captioners do.

    Words are never split or lost, and a run of capitalised words (a name) is kept together
    unless that overruns the limit by more than 20 characters.
    """
    buf: list[str] = []
    length = 0
    for word in text.split():
        over = length + 1 + len(word) - max_chars
        if buf and over > 0 and not (over <= 20 and _in_name(buf[-1], word)):
            yield " ".join(buf)
            buf, length = [], 0
        buf.append(word)
        length += len(word) + (1 if length else 0)
        if length >= min_chars and word.endswith(_SENTENCE_END):
            yield " ".join(buf)
            buf, length = [], 0
    if buf:
        yield " ".join(buf)


def _two_lines(text: str, width: int = 42) -> list[str]:
    """Subtitle layout: at most two lines, broken at the space nearest the middle."""
    if len(text) <= width or " " not in text:
        return [text]
    middle = len(text) // 2
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    cut = min(spaces, key=lambda i: abs(i - middle))
    return [text[:cut], text[cut + 1 :]]


def _timeline(
    rng: random.Random, paras: Sequence[tuple[str, str]], max_chars: int, min_chars: int
) -> Iterator[tuple[int, int, str, str]]:
    """(start_ms, end_ms, text, speaker) cues at a seeded speaking rate; end > start, monotonic."""
    words_per_second = rng.uniform(2.4, 3.1)
    clock = rng.choice((0, 0, rng.randrange(200, 4_000)))
    for text, speaker in paras:
        for chunk in _chunks(text, max_chars, min_chars):
            duration = len(chunk.split()) / words_per_second * 1000 * rng.uniform(0.85, 1.2)
            end = clock + max(600, round(duration))
            yield clock, end, chunk, speaker
            clock = end if rng.random() < 0.7 else end + rng.randrange(40, 900)


def _clock(ms: int, sep: str) -> str:
    seconds, millis = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{sep}{millis:03d}"


def _render_plain(rng: random.Random, paras: Sequence[tuple[str, str]], plan: _Plan) -> str:
    return "\n".join(text for text, _ in paras) + "\n"


def _render_timestamped(rng: random.Random, paras: Sequence[tuple[str, str]], plan: _Plan) -> str:
    # Like the sample: whisper-sized fragments, or whole sentences per line.
    max_chars, min_chars = rng.choice(((60, 25), (80, 35), (320, 140)))
    lines = [
        f"[{_clock(s, '.')} --> {_clock(e, '.')}]   {text}"
        for s, e, text, _ in _timeline(rng, paras, max_chars, min_chars)
    ]
    return "\n" + "\n".join(lines) + "\n"


def _render_webvtt(rng: random.Random, paras: Sequence[tuple[str, str]], plan: _Plan) -> str:
    header = rng.choice(
        ("WEBVTT", f"WEBVTT - {plan.show.name}", "WEBVTT\nKind: captions\nLanguage: en")
    )
    voices, numbered = rng.random() < 0.6, rng.random() < 0.4
    blocks = [header]
    for k, (s, e, text, speaker) in enumerate(_timeline(rng, paras, rng.randint(64, 84), 30), 1):
        lines = [html.escape(line, quote=False) for line in _two_lines(text)]
        if voices:
            lines[0] = f"<v {speaker}>{lines[0]}"
        cue = [str(k)] if numbered else []
        blocks.append("\n".join([*cue, f"{_clock(s, '.')} --> {_clock(e, '.')}", *lines]))
    return "\n\n".join(blocks) + "\n"


def _render_subrip(rng: random.Random, paras: Sequence[tuple[str, str]], plan: _Plan) -> str:
    blocks = [
        "\n".join([str(k), f"{_clock(s, ',')} --> {_clock(e, ',')}", *_two_lines(text)])
        for k, (s, e, text, _) in enumerate(_timeline(rng, paras, rng.randint(64, 84), 30), 1)
    ]
    return "\n\n".join(blocks) + "\n"


def _render_json(rng: random.Random, paras: Sequence[tuple[str, str]], plan: _Plan) -> str:
    # Hosts write a segment per phrase or per sentence, with the speaker on every one.
    segments = [
        {"speaker": speaker, "startTime": round(s, 3), "endTime": round(e, 3), "body": text}
        for s, e, text, speaker in _timeline(rng, paras, rng.choice((40, 120)), 20)
    ]
    return json.dumps({"version": "1.0.0", "segments": segments}, indent=rng.choice((None, 2)))


def _render_html(rng: random.Random, paras: Sequence[tuple[str, str]], plan: _Plan) -> str:
    # The namespace's layout: a <cite> when the speaker changes, a <time> and a <p> per turn.
    blocks: list[str] = []
    previous = None
    for s, _, text, speaker in _timeline(rng, paras, 320, 140):
        if speaker != previous:
            blocks.append(f"<cite>{html.escape(speaker)}:</cite>")
            previous = speaker
        minutes, seconds = divmod(int(s), 60)
        blocks.append(f"<time>{minutes}:{seconds:02d}</time>")
        blocks.append(f"<p>{html.escape(text, quote=False)}</p>")
    body = "\n".join(blocks)
    return f"<!DOCTYPE html>\n<html>\n<body>\n{body}\n</body>\n</html>\n"


_TRANSCRIPT_RENDERERS: Mapping[
    str, Callable[[random.Random, Sequence[tuple[str, str]], _Plan], str]
] = {
    PLAIN_TRANSCRIPT: _render_plain,
    TIMESTAMPED_TRANSCRIPT: _render_timestamped,
    WEBVTT: _render_webvtt,
    SUBRIP: _render_subrip,
    PODCAST_JSON: _render_json,
    HTML_TRANSCRIPT: _render_html,
}


# --- enriched pages ----------------------------------------------------------------------------


def _fresh(value: Any) -> Any:
    """Unshared copies: safe_dump would turn a list or dict seen twice into a YAML alias."""
    if isinstance(value, dict):
        return {k: _fresh(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fresh(v) for v in value]
    return value


def _union(pool: _SeedPool, key: str, *identity: str) -> list[Any]:
    """Each list field across all seed pages, without repeats, as the pool to subset from."""
    items: list[Any] = []
    seen: set[Any] = set()
    for page in pool.pages:
        for item in page.get(key) or []:
            is_keyed = identity and isinstance(item, dict)
            marker = repr([item.get(k) for k in identity] if is_keyed else item)
            if marker not in seen:
                seen.add(marker)
                items.append(item)
    return items


def _subset(rng: random.Random, items: Sequence[Any], low: int, high: int) -> list[Any]:
    """A random subset of seeded size, in the seeds' order (pages list items as found)."""
    if not items:
        return []
    k = rng.randint(min(low, len(items)), min(high, len(items)))
    return [_fresh(items[i]) for i in sorted(rng.sample(range(len(items)), k))]


def _page_title(rng: random.Random, pool: _SeedPool, plan: _Plan, sub: Callable[[str], str]) -> str:
    if rng.random() < 0.5:
        seed_title = str(rng.choice(pool.pages).get("title", ""))
        text = sub(_TITLE_NUMBER_RE.sub("", seed_title))
        month_year = f"{plan.published_at:%B %Y}"
        return re.sub(rf"\b(?:{_MONTHS}) \d{{4}}\b", month_year, text) or "Untitled"
    template = rng.choice(_TITLE_TEMPLATES)
    return template.format(topic=rng.choice(_TITLE_TOPICS), guest=plan.guest, company=plan.company)


def _render_page(rng: random.Random, pool: _SeedPool, plan: _Plan) -> str:
    sub = _substituter(pool, plan)
    base = rng.choice(pool.pages)
    title = _page_title(rng, pool, plan, sub)
    stamp = "%Y-%m-%d %H:%M:%S"
    processed = plan.published_at + timedelta(
        days=rng.randint(1, 400), seconds=rng.randrange(86_400)
    )
    page: dict[str, Any] = {k: _fresh(v) for k, v in base.items() if not isinstance(v, list | dict)}
    slug = re.sub(r"[^A-Z]", "", plan.show.name.upper())
    page.update(
        title=f"{plan.number}: {title}",
        date=f"{plan.published_at:{stamp}} +0000",
        duration=rng.randint(18, 95),
        processing_date=f"{processed:{stamp}} +0000",
        original_url=re.sub(
            r"[A-Z]+\d{6,}\.mp3\?updated=\d+",
            f"{slug}{rng.randrange(10**9, 10**10)}.mp3?updated={plan.published_at.timestamp():.0f}",
            str(base.get("original_url", "")),
        ),
    )

    companies = _subset(rng, _union(pool, "companies", "name", "position"), 25, 110)
    unique: dict[tuple[str, Any], dict[str, Any]] = {}
    for company in companies:
        company["name"] = sub(str(company.get("name", "")))
        company["context"] = sub(str(company.get("context", "")))
        unique.setdefault((company["name"], company.get("position")), company)
    # As in the seeds: mentions found in the text by offset, then the analyser's own additions.
    page["companies"] = sorted(
        unique.values(), key=lambda c: (c.get("position") is None, c.get("position") or 0)
    )

    quotes = _subset(rng, _union(pool, "quotes", "text"), 10, 90)
    for quote in quotes:
        quote["text"] = sub(str(quote.get("text", "")))
        quote["length"] = len(quote["text"])
    page["quotes"] = quotes

    topics = _subset(rng, _union(pool, "topics", "topic"), 1, 5)
    for topic in topics:
        topic["mentions"] = max(1, round(int(topic.get("mentions") or 1) * rng.uniform(0.6, 1.4)))
    page["topics"] = topics
    page["tags"] = _subset(rng, _union(pool, "tags"), 2, 7)
    for key, chance in (("insights", 0.5), ("actionable_items", 0.4)):
        items = _union(pool, key, "text" if key == "insights" else "full_context")
        if items and rng.random() < chance:
            page[key] = [
                {k: sub(v) if isinstance(v, str) else v for k, v in item.items()}
                for item in _subset(rng, items, 1, len(items))
            ]

    summary_lines = sub(str(base.get("summary", ""))).split("\n")
    heading = re.match(r"^(#+ [^:\n]*: )(Episode )?\d+: ", summary_lines[0])
    if heading:
        summary_lines[0] = f"{heading.group(1)}{heading.group(2) or ''}{plan.number}: {title}"
    page["summary"] = "\n".join(summary_lines)

    front = yaml.safe_dump(page, sort_keys=True, allow_unicode=True)
    return (
        f"---\n{front}---\n\n<!-- Episode automatically generated from analysis data -->\n"
        f"<!-- Processing completed: {processed:{stamp}} UTC -->\n"
    )


# --- driver ------------------------------------------------------------------------------------


def _check_formats(formats: Sequence[str]) -> tuple[str, ...]:
    chosen = tuple(formats)
    unknown = sorted(set(chosen) - set(ALL_FORMATS))
    if not chosen or unknown or len(set(chosen)) != len(chosen):
        raise ValueError(f"formats must be distinct names from {ALL_FORMATS}, got {chosen}")
    return chosen


def iter_corpus(
    out_dir: Path,
    n: int,
    *,
    seed: int = 0,
    seeds_dir: Path = DEFAULT_SEEDS_DIR,
    formats: Sequence[str] = ALL_FORMATS,
) -> Iterator[GeneratedFile]:
    """Write the corpus lazily, yielding each file as soon as it is on disk."""
    if n < 0:
        raise ValueError("n must be >= 0")
    chosen = _check_formats(formats)
    pool = _load_seed_pool(seeds_dir)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    block_size = sum(FORMAT_WEIGHTS[f] for f in chosen)
    width = max(5, len(str(n)))
    schedule: list[str] = []
    for index in range(n):
        if index % block_size == 0:
            schedule = _format_block(seed, index // block_size, chosen)
        plan = _plan(seed, index, schedule[index % block_size])
        rng = random.Random(f"corpus:{seed}:content:{index}")
        if plan.source_format == ENRICHED_PAGE:
            text, words = _render_page(rng, pool, plan), 0
        else:
            paras, words = _transcript(rng, pool, plan)
            text = _TRANSCRIPT_RENDERERS[plan.source_format](rng, paras, plan)
        data = text.encode("utf-8")
        path = out_dir / f"bench_{index + 1:0{width}d}_{plan.source_format}{plan.ext}"
        path.write_bytes(data)
        yield GeneratedFile(
            path=path,
            source_format=plan.source_format,
            episode_number=plan.number,
            published_at=plan.published_at,
            show=plan.show.name,
            bytes=len(data),
            words=words,
        )


def generate_corpus(
    out_dir: Path,
    n: int,
    *,
    seed: int = 0,
    seeds_dir: Path = DEFAULT_SEEDS_DIR,
    formats: Sequence[str] = ALL_FORMATS,
) -> CorpusStats:
    """Write `n` files into `out_dir` (other files there are left alone) and summarise them."""
    counts = dict.fromkeys(_check_formats(formats), 0)
    files = size = words = 0
    for generated in iter_corpus(out_dir, n, seed=seed, seeds_dir=seeds_dir, formats=formats):
        files += 1
        size += generated.bytes
        words += generated.words
        counts[generated.source_format] += 1
    return CorpusStats(files=files, bytes=size, words=words, by_format=counts)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point: generate a corpus and print its size and how long it took."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--n", type=int, default=1000, help="number of files (default 1000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seeds-dir", type=Path, default=DEFAULT_SEEDS_DIR)
    parser.add_argument(
        "--formats",
        default=",".join(ALL_FORMATS),
        help="comma-separated subset of: " + ", ".join(ALL_FORMATS),
    )
    args = parser.parse_args(argv)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    started = time.perf_counter()
    stats = generate_corpus(
        args.out_dir, args.n, seed=args.seed, seeds_dir=args.seeds_dir, formats=formats
    )
    elapsed = time.perf_counter() - started
    print(f"files: {stats.files}")
    print(f"bytes: {stats.bytes} ({stats.bytes / 2**20:.1f} MiB)")
    print(f"words: {stats.words}")
    print("by_format: " + ", ".join(f"{k}={v}" for k, v in stats.by_format.items()))
    print(f"seconds: {elapsed:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
