"""Transcript mentions on small real texts through the real pipeline."""

from __future__ import annotations

import pytest

from podcast_assets.extraction import Transcript, extract_transcripts
from podcast_assets.extraction.surfaces import LEADING_WORDS
from podcast_assets.models import segments_from_texts
from podcast_assets.schema import MENTIONS

# Forms the analyser's crude pass produced on the seeds; none may become an entity of ours.
JUNK = {"So I", "And I", "Now I", "What I", "But I", "Once I", "I", "So A", "Like Soma",
        "Our ICYMI", "But NIM", "From Nvidia", "At GTC", "So Annapurna", "Use SageMaker",
        "So SageMaker", "And AI", "AI", "GPU", "GPUs", "LLMs"}  # fmt: skip

JUNK_TEXT = [
    "So I joined Amazon as one of the first architects. And I think that was right.",
    "Like Soma said, every time the model updates, you get a new container.",
    "Our ICYMI episode starts with Soma Bali and Logan Lawler.",
    "But NIM stands for Nvidia inference microservice. From Nvidia we got GPUs and LLMs.",
    "At GTC, we announced things. So Annapurna had this crazy idea. Now I understand.",
    "Use SageMaker to spin up a notebook. So SageMaker is managed ML infrastructure at AWS.",
    "And AI product manager Shireesh Gupta came up with a mnemonic. So A is accelerated.",
]


def mentions_of(nlp, texts, starts=None, ends=None):
    segments = segments_from_texts(texts, starts, ends)
    extraction = next(extract_transcripts(nlp, [("ep", segments)]))
    return "\n".join(texts), segments, extraction.mentions


def test_extraction_junk_forms_never_become_entities(nlp):
    text, _, mentions = mentions_of(nlp, JUNK_TEXT)
    entities = {m["entity"] for m in mentions}
    assert not entities & JUNK
    for m in mentions:
        assert m["surface"].split()[0].casefold() not in LEADING_WORDS, m
        assert text[m["char_start"] : m["char_end"]] == m["surface"]
    assert {"Soma Bali", "Logan Lawler", "Amazon Web Services", "SageMaker", "NVIDIA NIM"} <= (
        entities
    )


def test_extraction_a_pronoun_after_a_full_stop_is_not_part_of_a_name(nlp):
    _, _, mentions = mentions_of(
        nlp, ["I talk about X, Y, and Z. You're going to get a good number of people."]
    )
    assert not [m["entity"] for m in mentions if "You" in m["entity"]]


def test_extraction_leading_determiners_are_stripped(nlp):
    _, _, mentions = mentions_of(
        nlp, ["We met the Neuron SDK team, then the University of Chicago alumni in Boston."]
    )
    surfaces = {m["surface"] for m in mentions}
    assert {"Neuron SDK", "University of Chicago"} <= surfaces
    assert not any(s.lower().startswith("the ") for s in surfaces)


@pytest.mark.parametrize(
    ("sentence", "surface", "entity"),
    [
        ("She works on the Tranium and Inferentia chips.", "Tranium", "Trainium"),
        ("The heavy lifting happens in Traineum at training time.", "Traineum", "Trainium"),
        ("Tranium 2 is the most powerful instance.", "Tranium 2", "Trainium 2"),
        ("Emily is an architect at Amazon Web Services (AWS) today.", "AWS", "Amazon Web Services"),
        ("I'm your host, John Krohn. Thanks for joining me.", "John Krohn", "Jon Krohn"),
        ("I'm your host, John Cron. Thanks for joining me.", "John Cron", "Jon Krohn"),
        ("I am your host, John Crone. Welcome back.", "John Crone", "Jon Krohn"),
    ],
)
def test_extraction_asr_variants_resolve_to_canonical(nlp, sentence, surface, entity):
    _, _, mentions = mentions_of(nlp, [sentence])
    found = {m["surface"]: m for m in mentions}
    assert found[surface]["entity"] == entity
    assert found[surface]["source"] == "gazetteer"


def test_extraction_aws_forms_are_one_entity(nlp):
    _, _, mentions = mentions_of(
        nlp, ["Amazon Web Services (AWS) hosts it.", "AWS scales.", "Amazon Web Services rocks."]
    )
    aws = [m for m in mentions if "Amazon Web" in m["surface"] or m["surface"] == "AWS"]
    assert len(aws) == 4
    assert {m["entity"] for m in aws} == {"Amazon Web Services"}


def test_extraction_annapurna_labs_is_an_org(nlp):
    _, _, mentions = mentions_of(
        nlp, ["Emily is a principal solutions architect in the elite Annapurna Labs team."]
    )
    (annapurna,) = [m for m in mentions if m["entity"] == "Annapurna Labs"]
    assert annapurna["label"] == "ORG"
    assert annapurna["category"] == "ai_infrastructure"


def test_extraction_host_mentions_carry_gazetteer_category(nlp):
    _, _, mentions = mentions_of(nlp, ["I'm your host, John Crone. Thanks for joining me."])
    (host,) = [m for m in mentions if m["entity"] == "Jon Krohn"]
    assert (host["label"], host["category"], host["confidence"]) == ("PERSON", "host", 0.9)


def test_extraction_first_names_link_to_the_episode_full_name(nlp):
    _, _, mentions = mentions_of(
        nlp,
        [
            "If people liked the Ron Diamant episode, it is number 691.",
            "Ron is such a luminary in this space. We had Ron on the show.",
        ],
    )
    rons = [m for m in mentions if m["surface"] == "Ron"]
    assert rons
    assert {m["entity"] for m in rons} == {"Ron Diamant"}


def test_extraction_mentions_locate_segment_time_and_context(nlp):
    texts = ["Welcome to the show.", "Today we talk about NVIDIA Base Command and DGX machines."]
    text, _, mentions = mentions_of(nlp, texts, [0.0, 12.5], [12.5, 20.0])
    by_entity = {m["entity"]: m for m in mentions}
    dgx = by_entity["DGX"]
    assert (dgx["segment_seq"], dgx["start_seconds"]) == (1, 12.5)
    assert by_entity["NVIDIA Base Command"]["label"] == "PRODUCT"
    assert "Base Command" in dgx["context"] and "\n" not in dgx["context"]
    assert text[dgx["char_start"] : dgx["char_end"]] == "DGX"


def test_extraction_mention_rows_match_schema_and_types(nlp):
    _, _, mentions = mentions_of(nlp, JUNK_TEXT, [float(i) for i in range(7)], None)
    assert mentions
    for m in mentions:
        assert list(m) == MENTIONS.column_names
        assert isinstance(m["char_start"], int) and isinstance(m["char_end"], int)
        assert isinstance(m["segment_seq"], int)
        assert isinstance(m["start_seconds"], float)
        assert isinstance(m["confidence"], float) and 0 < m["confidence"] <= 1
        assert m["source"] in {"spacy", "gazetteer"}


def test_extraction_job_titles_and_greetings_are_not_names(nlp):
    _, _, mentions = mentions_of(
        nlp,
        [
            "I'm your host, Dan Lines, LinearB COO and co-founder. Our VP met the CMO and the COO.",
            "Hello Nadia. I love this topic.",
        ],
    )
    entities = {m["entity"] for m in mentions}
    assert not entities & {"COO", "CMO", "VP", "Hello Nadia"}  # the model tags COO, CMO: ORG
    assert {"Dan Lines", "Nadia"} <= entities


def test_extraction_numbered_names_are_kept_whole(nlp):
    segments = segments_from_texts(
        [
            "I was making pie charts in Lotus 1, 2, 3, and I thought that was cool.",
            "Later I used Lotus 1-2-3 at work, on machines we bought from Brex 2 years ago.",
            "We had the Commodor",
            "64 at home, and we use RDS on the cloud.",
        ]
    )
    extraction = next(extract_transcripts(nlp, [Transcript("ep", segments, "en")]))
    found = {(m["surface"], m["entity"]) for m in extraction.mentions}
    # The model tags "Lotus 1" + "2" + "3" and "Lotus" + "1-2-3": one name, spelled twice.
    assert {("Lotus 1, 2, 3", "Lotus 1-2-3"), ("Lotus 1-2-3", "Lotus 1-2-3")} <= found
    assert {("Commodor\n64", "Commodor 64"), ("RDS", "RDS"), ("Brex", "Brex")} <= found


def test_extraction_mentions_one_name_has_one_label_in_an_episode():
    """The small model labels one name differently from sentence to sentence; the episode's
    rows carry the label it gives that name most, the first one on a tie."""
    from podcast_assets.extraction.gazetteer import Gazetteer
    from podcast_assets.extraction.mentions import MentionDraft, finish_mentions
    from podcast_assets.models import Segment

    text = "Swift is fast. I like Swift. Swift in London. Aiven and Aiven."
    labels = iter(["PRODUCT", "PERSON", "PRODUCT", "GPE", "PERSON", "ORG"])
    drafts = []
    for name in ("Swift", "Swift", "Swift", "London", "Aiven", "Aiven"):
        start = text.index(name, drafts[-1].end if drafts else 0)
        label = next(labels)
        end = start + len(name)
        drafts.append(MentionDraft(name, name, label, None, start, end, "spacy", None))
    rows = finish_mentions("ep", drafts, text, [Segment(0, text, 0)], [0], Gazetteer(()))
    assert [(r["entity"], r["label"]) for r in rows] == [
        ("Swift", "PRODUCT"),
        ("Swift", "PRODUCT"),
        ("Swift", "PRODUCT"),
        ("London", "GPE"),
        ("Aiven", "PERSON"),
        ("Aiven", "PERSON"),
    ]
