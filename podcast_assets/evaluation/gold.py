"""Gold transcripts and their annotations: loading and validation (see `eval/gold/README.md`)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from podcast_assets.extraction.surfaces import said_signs

SPLITS = ("dev", "heldout")
GOLD_SUFFIX = ".gold.yaml"

_POSSESSIVE = re.compile(r"['\u2019]s\b")
_NOT_ALNUM = re.compile(r"[\W_]+")


class GoldError(ValueError):
    """A gold file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True, slots=True)
class GoldEntity:
    name: str
    label: str | None
    variants: tuple[str, ...] = ()

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(match_key(n) for n in (self.name, *self.variants))


@dataclass(frozen=True, slots=True)
class GoldFile:
    """One annotated transcript: `path` is the transcript, `gold_path` its annotation."""

    path: Path
    gold_path: Path
    split: str
    source: str
    show: str
    language: str
    expected_topics: tuple[str, ...]
    acceptable_topics: tuple[str, ...]
    entities: tuple[GoldEntity, ...]
    acceptable: tuple[str, ...] = ()


def match_key(text: str) -> str:
    """The key names are compared under: "Gartner's" == "gartner", "Arráiz" == "arraiz",
    "C#" == "C sharp" (a sign closing a word is spelled as it is said, as extraction does)."""
    said = said_signs(text)
    decomposed = unicodedata.normalize("NFKD", _POSSESSIVE.sub("", said.casefold()))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_ALNUM.sub("", stripped)


def load_gold(gold_dir: Path) -> list[GoldFile]:
    """Every `*.gold.yaml` under `gold_dir/dev` and `gold_dir/heldout`, validated."""
    files: list[GoldFile] = []
    for split in SPLITS:
        split_dir = gold_dir / split
        if not split_dir.is_dir():
            raise GoldError(f"{split_dir}: missing gold split directory (need {', '.join(SPLITS)})")
        files.extend(_load_file(p, split) for p in sorted(split_dir.glob(f"*{GOLD_SUFFIX}")))
    if not files:
        raise GoldError(f"{gold_dir}: no {GOLD_SUFFIX} files in {' or '.join(SPLITS)}")
    return files


_TOP_KEYS = frozenset({"file", "source", "show", "language", "topics", "entities", "acceptable"})
_ENTITY_KEYS = frozenset({"name", "label", "variants"})


def _load_file(gold_path: Path, split: str) -> GoldFile:
    def fail(reason: str) -> GoldError:
        return GoldError(f"{gold_path}: {reason}")

    try:
        data = yaml.safe_load(gold_path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise fail(f"not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise fail("must be a mapping with file, source, show, language, topics, entities")
    if unknown := sorted(set(data) - _TOP_KEYS):
        raise fail(f"unknown keys {unknown}")
    name = _text(data, "file", fail)
    transcript = gold_path.parent / name
    if not transcript.is_file():
        raise fail(f"transcript {name!r} does not exist beside it")
    if Path(name).stem != gold_path.name.removesuffix(GOLD_SUFFIX):
        raise fail(f"transcript {name!r} must have the gold file's stem")
    topics = data.get("topics")
    if not isinstance(topics, dict) or set(topics) - {"expected", "acceptable"}:
        raise fail("topics must be a mapping with expected (and optionally acceptable)")
    expected = _strings(topics.get("expected"), "topics.expected", fail)
    if not expected:
        raise fail("topics.expected needs at least one topic")
    raw_entities = data.get("entities")
    if not isinstance(raw_entities, list):
        raise fail("entities must be a list")
    entities = tuple(_entity(raw, i, fail) for i, raw in enumerate(raw_entities))
    acceptable = _strings(data.get("acceptable"), "acceptable", fail)
    _check_keys(entities, acceptable, fail)
    return GoldFile(
        path=transcript,
        gold_path=gold_path,
        split=split,
        source=_text(data, "source", fail),
        show=_text(data, "show", fail),
        language=_text(data, "language", fail),
        expected_topics=expected,
        acceptable_topics=_strings(topics.get("acceptable"), "topics.acceptable", fail),
        entities=entities,
        acceptable=acceptable,
    )


def _text(data: Mapping[str, Any], key: str, fail: Callable[[str], GoldError]) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise fail(f"{key} must be a non-empty string")
    return value.strip()


def _strings(value: Any, where: str, fail: Callable[[str], GoldError]) -> tuple[str, ...]:
    """A list of non-empty strings; YAML turns unquoted `[Lotus 1, 2, 3]` into numbers, which
    is an annotation mistake, so nothing is coerced."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise fail(f"{where} must be a list")
    bad = [v for v in value if not isinstance(v, str) or not v.strip() or not match_key(v)]
    if bad:
        raise fail(f"{where} has entries that are not names: {bad!r} (quote names with commas)")
    return tuple(v.strip() for v in value)


def _entity(raw: Any, index: int, fail: Callable[[str], GoldError]) -> GoldEntity:
    where = f"entities[{index}]"
    if not isinstance(raw, dict):
        raise fail(f"{where} must be a mapping with name, label, variants")
    if unknown := sorted(set(raw) - _ENTITY_KEYS):
        raise fail(f"{where} has unknown keys {unknown}")
    name = _strings([raw.get("name")], f"{where}.name", fail)[0]
    label = raw.get("label")
    if label is not None and (not isinstance(label, str) or not label.strip()):
        raise fail(f"{where}.label must be a string")
    variants = _strings(raw.get("variants"), f"{where}.variants", fail)
    return GoldEntity(name, label.strip() if label else None, variants)


def _check_keys(
    entities: Sequence[GoldEntity], acceptable: Sequence[str], fail: Callable[[str], GoldError]
) -> None:
    """One key, one meaning: otherwise a prediction would match two gold entries."""
    owner: dict[str, str] = {}
    for entity in entities:
        for key in entity.keys:
            if key in owner:
                raise fail(f"{entity.name!r} and {owner[key]!r} share the key {key!r}")
            owner[key] = entity.name
    for name in acceptable:
        if match_key(name) in owner:
            raise fail(f"acceptable {name!r} is also the entity {owner[match_key(name)]!r}")
