"""What the product extracts from one transcript file, as a `Prediction` for the harness.

The same path as a refresh, minus the warehouse: parse, decide the language (declared or
detected) and its pipeline route, extract, keep the distinct entities and the topics.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from podcast_assets import settings
from podcast_assets.evaluation.scoring import Prediction
from podcast_assets.language import detect_language, installed_pipelines, pipeline_for
from podcast_assets.models import ParsedEpisode
from podcast_assets.parsing import Feed, parse_bytes

if TYPE_CHECKING:  # spaCy is imported when a predictor is made, not with this module
    from podcast_assets.extraction import Transcript


def pipeline_predictor() -> Callable[[Path], Prediction]:
    """A predictor that loads the pipelines once and extracts one file per call."""
    from podcast_assets.extraction import extract_transcripts, load_pipeline, route

    nlp = load_pipeline()
    routes, _ = installed_pipelines(settings.spacy_pipelines())

    def predict(path: Path) -> Prediction:
        parsed = parse_bytes(path.read_bytes(), path.name)
        if isinstance(parsed, Feed) or not parsed.segments:
            return Prediction(None)
        guess = detect_language(parsed.transcript, parsed.declared_language)
        how = route(guess.code, pipeline_for(guess.code, routes))
        (extraction,) = extract_transcripts(nlp, [_transcript(path.name, parsed, guess.code, how)])
        entities = sorted({(m["entity"], m["label"]) for m in extraction.mentions}, key=str)
        topics = [(t["topic"], t["source"]) for t in extraction.topics]
        ner = not how.startswith("blank:")
        return Prediction(
            guess.code,
            entities,
            topics,
            ner=ner,
            taxonomy=guess.code == "en",
            text=parsed.transcript,
        )

    return predict


def _transcript(name: str, parsed: ParsedEpisode, language: str | None, how: str) -> Transcript:
    """What the extract step hands extraction for this file with no feed: the host, guests
    and show its own words name (`episodes.host`, `guests` and `show_name` when no feed item
    matches)."""
    from podcast_assets.extraction import Transcript
    from podcast_assets.extraction.people import listed_people

    identity = parsed.identity
    hosts = [identity.host] if identity.host else []
    people = listed_people(hosts=hosts, guests=identity.guests)
    return Transcript(name, parsed.segments, language, how, people, identity.show)
