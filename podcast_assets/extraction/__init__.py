"""Extraction: entity mentions, notable quotes and topics, as rows of the warehouse tables.

Transcripts go through our spaCy pipeline (`load_pipeline`, `extract_transcripts`); enriched
pages' analyser findings are normalised as they are (`extract_enriched`). Both canonicalise
entities through the versioned gazetteer and count topics against the versioned taxonomy
(`podcast_assets/data/*.yaml`), whose hashes are part of `EXTRACTOR_VERSION`.
"""

from podcast_assets.extraction.enriched_pages import extract_enriched
from podcast_assets.extraction.gazetteer import load_gazetteer
from podcast_assets.extraction.gazetteer_review import (
    merge_gazetteer_entries,
    suggest_gazetteer_entries,
)
from podcast_assets.extraction.pipeline import (
    EXTRACTOR_VERSION,
    ModelNotInstalledError,
    load_pipeline,
    route,
)
from podcast_assets.extraction.rows import Extraction
from podcast_assets.extraction.topics import load_taxonomy
from podcast_assets.extraction.transcripts import Transcript, extract_transcripts

__all__ = [
    "EXTRACTOR_VERSION",
    "Extraction",
    "ModelNotInstalledError",
    "Transcript",
    "extract_enriched",
    "extract_transcripts",
    "load_gazetteer",
    "load_pipeline",
    "load_taxonomy",
    "merge_gazetteer_entries",
    "route",
    "suggest_gazetteer_entries",
]
