"""Streaming extraction over transcripts.

Each episode's transcript ("\\n".join of its segment texts) is cut into chunks at segment
boundaries (a single oversized segment at whitespace) so no doc exceeds `nlp.max_length`;
each doc's offsets are shifted back into its transcript.

With one process, the chunks of all episodes flow through one `nlp.pipe` call. With more,
whole episodes go to forked worker processes that run the pipeline *and* the extraction and
send back rows: a few kilobytes per episode instead of every serialized `Doc` (which
`nlp.pipe(n_process=...)` would ship to this process, to be deserialized and read here, on
the cores the workers need). Either way results come back in input order, and an episode is
held only while it is being worked on, so memory stays flat however long the input is.
"""

from __future__ import annotations

import bisect
import ctypes
import itertools
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import NamedTuple

from spacy.language import Language
from spacy.tokens import Doc

from podcast_assets.extraction.chunks import chunk_ranges
from podcast_assets.extraction.episode_names import settle_names
from podcast_assets.extraction.gazetteer import Gazetteer, load_gazetteer
from podcast_assets.extraction.keyphrases import (
    Keyphrase,
    KeyphraseCounter,
    keyphrase_rows,
    wordfreq_language,
)
from podcast_assets.extraction.mentions import MentionDraft, doc_mentions, finish_mentions
from podcast_assets.extraction.people import EpisodePeople, Person
from podcast_assets.extraction.pipeline import routed_pipeline
from podcast_assets.extraction.proper_nouns import proper_noun_drafts
from podcast_assets.extraction.quotes import (
    MAX_CHARS,
    TOP_N,
    Sentence,
    select_quotes,
    sentence_record,
)
from podcast_assets.extraction.rows import Extraction
from podcast_assets.extraction.topics import TopicMatcher, topic_matcher, topic_rows
from podcast_assets.models import Segment

MAX_CHUNK_CHARS = 100_000
# Discovered topics per episode (`topics` rows with source 'keyphrase').
KEYPHRASES = 5
DEFAULT_BATCH_SIZE = 4


class Transcript(NamedTuple):
    """One episode to extract: its segments, language, pipeline route (see `route`), the
    people its metadata lists, its show's name (see people.py) and its show's categories
    (`itunes:category`, see topics.py)."""

    episode_id: str
    segments: Sequence[Segment]
    language: str | None = None
    route: str = ""
    people: tuple[Person, ...] = ()
    show: str | None = None
    categories: tuple[str, ...] = ()


def extract_transcripts(
    nlp: Language,
    items: Iterable[Transcript | tuple[str, Sequence[Segment]]],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    n_process: int = 1,
    max_chunk_chars: int = MAX_CHUNK_CHARS,
    top_quotes: int = TOP_N,
) -> Iterator[Extraction]:
    """One `Extraction` per transcript (or (episode_id, segments) pair), in input order,
    streaming.

    `nlp` reads transcripts routed to "" (English, and every plain pair); others are read
    by the pipeline their route names, loaded once per process. `batch_size` counts chunk
    docs per `nlp.pipe` batch; `n_process` > 1 extracts whole episodes in that many worker
    processes (where processes can fork: not on Windows).
    """
    if max_chunk_chars >= nlp.max_length:
        raise ValueError(f"max_chunk_chars must be below nlp.max_length ({nlp.max_length})")
    options = _Options(batch_size, max_chunk_chars, top_quotes)
    transcripts = (Transcript(*item) for item in items)
    if n_process > 1 and "fork" in multiprocessing.get_all_start_methods():
        return _extract_in_workers(nlp, transcripts, n_process, options)
    return _extract_serial(nlp, transcripts, options)


@dataclass(frozen=True)
class _Options:
    batch_size: int
    max_chunk_chars: int
    top_quotes: int


def _extract_serial(
    nlp: Language, items: Iterable[Transcript], options: _Options
) -> Iterator[Extraction]:
    """Consecutive transcripts of one route stream through one `nlp.pipe` call."""
    for key, group in itertools.groupby(items, key=lambda t: t.route):
        yield from _extract_stream(routed_pipeline(nlp, key), group, options)


def _extract_stream(
    nlp: Language, items: Iterable[Transcript], options: _Options
) -> Iterator[Extraction]:
    gazetteer = load_gazetteer()
    matcher = topic_matcher(nlp)
    pending: deque[_Episode] = deque()

    # Plain texts, not `as_tuples`: spaCy would build (tokenize) each Doc in this process.
    # `nlp.pipe` keeps order, so a FIFO of contexts pairs each doc with its chunk.
    contexts: deque[tuple[int, int, int]] = deque()

    def chunks() -> Iterator[str]:
        for index, item in enumerate(items):
            episode = _Episode.open(index, item, options.max_chunk_chars)
            pending.append(episode)
            for k, (start, end) in enumerate(episode.chunks):
                contexts.append((index, k, start))
                yield episode.text[start:end]

    for doc in nlp.pipe(chunks(), batch_size=options.batch_size):
        index, k, start = contexts.popleft()
        episode = pending[0]
        if episode.index != index:  # nlp.pipe keeps order; this would be a spaCy bug
            raise RuntimeError(f"chunk of episode #{index} arrived while #{episode.index} open")
        episode.add(doc, start, gazetteer, matcher)
        if k == len(episode.chunks) - 1:
            pending.popleft()
            yield episode.finish(gazetteer, matcher, options.top_quotes)


# Episodes queued per worker: enough that a worker never waits for the next one, few enough
# that memory does not grow with the input.
_QUEUED_PER_WORKER = 3
_worker_nlp: Language | None = None
_worker_options: _Options | None = None


def _extract_in_workers(
    nlp: Language,
    items: Iterable[Transcript],
    n_process: int,
    options: _Options,
) -> Iterator[Extraction]:
    """Whole episodes to `n_process` forked workers; results in input order.

    Forked (as spaCy's own `n_process` workers are), so they share the loaded pipeline
    instead of loading or unpickling it. A worker that dies fails the call
    (`BrokenProcessPool`) instead of hanging it.
    """
    context = multiprocessing.get_context("fork")
    wordfreq_language("en")  # the English word list, loaded once here and shared by the forks
    with ProcessPoolExecutor(
        n_process,
        mp_context=context,
        initializer=_init_worker,
        initargs=(nlp, options, os.getpid()),
    ) as pool:
        in_flight: deque[Future[Extraction]] = deque()
        try:
            for item in items:
                in_flight.append(pool.submit(_extract_one, item._replace(segments=list(item[1]))))
                while len(in_flight) >= n_process * _QUEUED_PER_WORKER:
                    yield in_flight.popleft().result()
            while in_flight:
                yield in_flight.popleft().result()
        except BaseException:
            # Interrupted (a signal, an error, the consumer gone): stop the workers now
            # instead of letting `shutdown` wait for the episodes they are working on.
            _kill_workers(pool)
            raise


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    """Kill the pool's workers; the executor then fails every episode still in it.

    Nothing else: its manager thread sees the workers die, fails the waiting futures with
    `BrokenProcessPool`, closes the queue the workers read (unblocking its feeder thread,
    which may be stuck writing an episode into a full pipe) and joins the workers, and the
    `with` block's `shutdown` waits for that. Do not `cancel()` the waiting futures here:
    Python 3.11 fails them with `set_exception`, which raises on a cancelled one and kills
    the manager thread before it closes that queue (gh-107219, fixed in 3.12); the feeder
    then never ends, and `multiprocessing` joins it at exit: the process hangs for ever.

    SIGKILL, not SIGTERM: a worker still starting has the parent's SIGTERM handler (a
    KeyboardInterrupt and a traceback); it holds nothing that needs cleaning up.
    """
    # `_processes` is the executor's only handle on its workers (3.14 adds terminate_workers).
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.kill()


def _init_worker(nlp: Language, options: _Options, parent_pid: int) -> None:
    global _worker_nlp, _worker_options
    _quiet_signals()
    _die_with_parent(parent_pid)
    _worker_nlp, _worker_options = nlp, options


def _quiet_signals() -> None:
    """Leave interrupts to the parent: SIGTERM ends a worker at once, SIGINT is ignored.

    A forked worker inherits the parent's handlers (Dagster's and the CLI's raise an
    exception), so a Ctrl-C in the terminal or a SIGTERM to the whole process group (a
    service manager) would print a traceback from every worker. The parent decides what an
    interrupt means and kills the workers itself (`_kill_workers`).
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent_pid: int) -> None:
    """End this worker when the process that forked it dies, however it dies.

    A SIGKILLed refresh cannot clean up, and orphaned workers would keep their cores (and a
    copy of the pipeline) forever. Linux kills us itself (PR_SET_PDEATHSIG); elsewhere a
    thread watches the parent id.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
                if os.getppid() != parent_pid:  # the parent died before prctl took effect
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    os._exit(1)


def _extract_one(item: Transcript) -> Extraction:
    if _worker_nlp is None or _worker_options is None:
        raise RuntimeError("extraction worker used before it was initialised")
    return next(_extract_serial(_worker_nlp, [item], _worker_options))


@dataclass
class _Episode:
    """Accumulates one episode's findings across its chunk docs."""

    index: int
    episode_id: str
    segments: list[Segment]
    text: str
    segment_starts: list[int]
    chunks: list[tuple[int, int]]
    language: str | None = None
    keyphrases: KeyphraseCounter | None = None
    people: tuple[Person, ...] = ()
    show: str | None = None
    categories: tuple[str, ...] = ()
    drafts: list[MentionDraft] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)
    topic_counts: Counter[tuple[str, str]] = field(default_factory=Counter)

    @classmethod
    def open(cls, index: int, item: Transcript, max_chars: int) -> _Episode:
        episode_id, segs = item.episode_id, list(item.segments)
        starts, spans, offset = [], [], 0
        for seg in segs:  # offsets of the newline-joined transcript, as Segment documents
            starts.append(offset)
            spans.append((offset, offset + len(seg.text)))
            offset += len(seg.text) + 1
        text = "\n".join(seg.text for seg in segs)
        chunks = chunk_ranges(text, spans, max_chars)
        speakers = {seg.speaker for seg in segs if seg.speaker}
        phrases = KeyphraseCounter(item.language, names=speakers)
        episode = cls(index, episode_id, segs, text, starts, chunks, item.language, phrases)
        episode.people, episode.show, episode.categories = item.people, item.show, item.categories
        return episode

    def add(self, doc: Doc, offset: int, gazetteer: Gazetteer, matcher: TopicMatcher) -> None:
        drafts = doc_mentions(doc, offset, gazetteer)
        self.drafts.extend(drafts)
        self.drafts.extend(proper_noun_drafts(doc, offset, gazetteer, drafts))
        hits = matcher(doc)
        self.topic_counts.update((h.topic, h.keyword) for h in hits)
        if self.keyphrases is not None:
            self.keyphrases.add(doc)
        if not len(doc):
            return
        self._mark_speaker_turns(doc, offset)
        mention_starts = [d.start for d in drafts]
        plain = [h for h in hits if not matcher.is_context(h)]
        hit_starts = [offset + doc[h.start].idx for h in plain]
        for sent in doc.sents:
            for lo, hi in _sentence_pieces(
                offset + sent.start_char, offset + sent.end_char, self.segment_starts
            ):
                record = sentence_record(self.text[lo:hi], lo, hi)
                if record is None:
                    continue
                lo, hi = record.start, record.end
                record.mentions = tuple(drafts[_span(mention_starts, lo, hi)])
                topics = {h.topic for h in plain[_span(hit_starts, lo, hi)]}
                record.topics = tuple(sorted(topics, key=lambda t: matcher.order.get(t, 0)))
                self.sentences.append(record)

    def _mark_speaker_turns(self, doc: Doc, offset: int) -> None:
        """A sentence starts where the speaker changes, punctuated or not: the transcript's
        own evidence, better than any model's in speech."""
        first = bisect.bisect_right(self.segment_starts, offset)
        length = len(doc.text)  # built anew on every access
        for i in range(max(first, 1), len(self.segments)):
            start = self.segment_starts[i] - offset
            if start >= length:
                break
            if self.segments[i].speaker != self.segments[i - 1].speaker:
                span = doc.char_span(start, start + 1, alignment_mode="expand")
                if span is not None and len(span) and span.start > 0:
                    span[0].is_sent_start = True

    def finish(self, gazetteer: Gazetteer, matcher: TopicMatcher, top_quotes: int) -> Extraction:
        args = (self.segments, self.segment_starts)
        people = EpisodePeople(self.people, self.segments, gazetteer)
        self.drafts = settle_names(self.drafts, self.text, self.language, people)
        # Mentions first: it links first names, which the quotes' entity lists then show.
        drafts, language = self.drafts, self.language
        mentions = finish_mentions(
            self.episode_id, drafts, self.text, *args, gazetteer, language, people, self.show
        )
        return Extraction(
            episode_id=self.episode_id,
            mentions=mentions,
            quotes=select_quotes(self.episode_id, self.sentences, *args, top_n=top_quotes),
            topics=[
                *topic_rows(self.episode_id, self.topic_counts, matcher, self.categories),
                *keyphrase_rows(self.episode_id, self._top_keyphrases()),
            ],
        )

    def _top_keyphrases(self) -> list[Keyphrase]:
        """The top keyphrases that are not already a taxonomy topic's name."""
        if self.keyphrases is None:
            return []
        named = {topic for topic, _ in self.topic_counts}
        return [k for k in self.keyphrases.top(KEYPHRASES) if k.phrase not in named]


def _sentence_pieces(lo: int, hi: int, segment_starts: list[int]) -> list[tuple[int, int]]:
    """The sentence, or when it is too long to be a quote (unpunctuated captions), its
    runs of whole segments that fit."""
    if hi - lo <= MAX_CHARS:
        return [(lo, hi)]
    pieces, start, end = [], lo, lo
    first = bisect.bisect_right(segment_starts, lo)
    for boundary in (*segment_starts[first:], hi):
        boundary = min(boundary, hi)
        if boundary - start > MAX_CHARS and end > start:
            pieces.append((start, end))
            start = end + 1  # past the newline between two segments
        end = boundary if boundary == hi else boundary - 1
        if boundary == hi:
            break
    pieces.append((start, hi))
    return [(a, b) for a, b in pieces if b > a]


def _span(sorted_starts: list[int], lo: int, hi: int) -> slice:
    """The slice of items whose (sorted) start offsets fall in [lo, hi)."""
    return slice(bisect.bisect_left(sorted_starts, lo), bisect.bisect_left(sorted_starts, hi))
