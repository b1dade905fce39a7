"""`mentions`, `quotes`, `topics` and `entity_aliases`: what extraction finds in episodes."""

from __future__ import annotations

from podcast_assets.columns import Column, Table
from podcast_assets.schema.episodes import EPISODE_ID

MENTIONS = Table(
    name="mentions",
    grain="One row per mention of a named entity in an episode.",
    description=(
        "From our spaCy pipeline and gazetteer for transcripts, or from the analyser's "
        "`companies` list for enriched pages; `source` says which."
    ),
    columns=(
        EPISODE_ID,
        Column("entity", "VARCHAR", "Canonical entity name (gazetteer-resolved).", False),
        Column("surface", "VARCHAR", "The text as it appears."),
        Column("label", "VARCHAR", "Entity type: PERSON, ORG, PRODUCT, GPE, EVENT, ..."),
        Column("category", "VARCHAR", "Domain category (e.g. ai_infrastructure), when known."),
        Column(
            "char_start",
            "INTEGER",
            "Start offset in the transcript; for analyser rows, the analyser's own `position`.",
        ),
        Column("char_end", "INTEGER", "End offset (exclusive) in the transcript."),
        Column("segment_seq", "INTEGER", "The segment containing the mention."),
        Column("start_seconds", "DOUBLE", "Start time of that segment, when timestamped."),
        Column(
            "speaker",
            "VARCHAR",
            "Speaker of that segment, when known; on a speaker row, the label itself.",
        ),
        Column("context", "VARCHAR", "A window of text around the mention."),
        Column(
            "confidence",
            "DOUBLE",
            "0-1; analyser labels map high=0.9, medium=0.6, low=0.3.",
        ),
        Column(
            "source",
            "VARCHAR",
            "spacy (model NER), gazetteer, proper_noun (capitalised mid-sentence, twice, never "
            "in lower case; camel case or a rare word once; a link's text or an acronym's long "
            "form whole), speaker (a speaker label), metadata (the feed's "
            "podcast:person, or the episode's host and guests), metadata_name (such a person's "
            "name or own first name, or the show's name, where the text says it and nothing "
            "else found it), analyzer (crude first pass) or analyzer_llm (LLM-enhanced). "
            "speaker and metadata rows are one per person and episode, with no offsets.",
            False,
        ),
        Column(
            "role",
            "VARCHAR",
            "For a person of the episode, on each of their rows: the feed's podcast:person role "
            "(host, guest, ...), host or guest as the episode names them, else the role its "
            "speaker label writes (`Name (co-host):`), else speaker for a speaker label. NULL "
            "for every other entity.",
        ),
    ),
)

QUOTES = Table(
    name="quotes",
    grain="One row per notable quote of an episode.",
    description=(
        "Top sentences scored by an explainable heuristic for transcripts; the analyser's "
        "quotes and insights for enriched pages."
    ),
    columns=(
        EPISODE_ID,
        Column("text", "VARCHAR", "The quote.", False),
        Column("relevance_score", "INTEGER", "1-10; NULL for analyser insights, which have none."),
        Column("start_seconds", "DOUBLE", "Start time of the quote, when timestamped."),
        Column("end_seconds", "DOUBLE", "End time of the quote, when timestamped."),
        Column("speaker", "VARCHAR", "Speaker, when known."),
        Column("topics", "VARCHAR[]", "Topics the quote touches."),
        Column(
            "source",
            "VARCHAR",
            "heuristic, analyzer, analyzer_llm or analyzer_insight.",
            False,
        ),
        Column("impact_reason", "VARCHAR", "Why it matters: the analyser's words, or our scoring."),
        Column("char_start", "INTEGER", "Start offset in the transcript, when from one."),
    ),
)

TOPICS = Table(
    name="topics",
    grain="One row per topic discussed in an episode.",
    description=(
        "For transcripts: the versioned taxonomy's topics (Apple Podcasts categories and their "
        "topics; English only) and up to 5 discovered keyphrases per episode; for enriched "
        "pages, the analyser's `topics`."
    ),
    columns=(
        EPISODE_ID,
        Column("topic", "VARCHAR", "Topic name from the taxonomy, or a keyphrase.", False),
        Column(
            "category",
            "VARCHAR",
            "The topic's Apple Podcasts category in the taxonomy (Technology, Business, ...); "
            "NULL for keyphrases and the analyser's topics.",
        ),
        Column(
            "mentions",
            "INTEGER",
            "How many keyword matches the topic had (a keyphrase: how often it was said).",
            False,
        ),
        Column("prominence", "DOUBLE", "0-1: min(1, mentions / 10), as the analyser computes it."),
        Column(
            "keywords",
            "VARCHAR[]",
            "The taxonomy keywords that matched (a keyphrase: its spellings).",
        ),
        Column(
            "source",
            "VARCHAR",
            "taxonomy, keyphrase (scored by frequency in the episode and rarity in the "
            "language), or analyzer.",
            False,
        ),
    ),
)

ENTITY_ALIASES = Table(
    name="entity_aliases",
    grain="One row per spelling of an entity that is merged into another name across episodes.",
    description=(
        "Rebuilt by every extraction from all of `mentions` (model spans: same key, near-"
        "identical or sound-alike spellings of one label), in the transaction of its last "
        "mentions, and by every removal of a file's rows; the gazetteer's names always win. "
        "Views count mentions under `canonical`; to undo a merge, list the surface under "
        "`distinct` in the gazetteer."
    ),
    partitioned=False,
    columns=(
        Column("surface", "VARCHAR", "The spelling as `mentions.entity` has it.", False),
        Column("label", "VARCHAR", "Entity type the spelling was seen with."),
        Column("canonical", "VARCHAR", "The name it is counted under.", False),
        Column("method", "VARCHAR", "gazetteer, key, fuzzy, phonetic or override.", False),
        Column("score", "DOUBLE", "Similarity of the keys, 0-100 (100: exact).", False),
        Column("mentions", "INTEGER", "Mentions of the spelling with this label.", False),
    ),
)
