"""The gazetteer: canonical entities with their labels, categories and (ASR) aliases.

It does three jobs. It feeds spaCy's EntityRuler, so known names are tagged before the
statistical NER runs (which fixes the small model's labels, e.g. "Annapurna Labs" as PERSON).
It resolves any surface to its canonical entity, exactly or by a conservative fuzzy match, so
"Tranium", "Amazon Web Services (AWS)" and "John Crone" land on one row each. And it proposes
entries for names it does not know yet, which a user reviews and merges back into the YAML
(`gazetteer_review.py`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz, process

from podcast_assets.extraction.surfaces import (
    clean_name,
    match_key,
    normalize_space,
    split_parenthetical,
)

LABELS: frozenset[str] = frozenset(
    {"PERSON", "ORG", "PRODUCT", "GPE", "LOC", "FAC", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE"}
)

# Fuzzy matching is for near-miss spellings of one word or name ("Infrentia"), not for guessing:
# both strings must be long enough, start with the same letter, carry the same digits, and
# score at least FUZZY_MIN (FUZZY_MIN_SHORT for keys under 8 characters, where one edit weighs
# more) on rapidfuzz's normalised Indel similarity.
FUZZY_MIN = 88.0
FUZZY_MIN_SHORT = 93.0
FUZZY_MIN_LEN = 5

_CACHE_MAX = 100_000
_DIGITS = re.compile(r"\d+")
PERSON_CATEGORY = re.compile(r"person|personnel|expert|contributor|member|host|guest|founder")
ENTRY_KEYS = ("name", "label", "category", "case_sensitive", "aliases")


def default_gazetteer_path() -> Path:
    return Path(str(resources.files("podcast_assets").joinpath("data", "gazetteer.yaml")))


@dataclass(frozen=True, slots=True)
class Entry:
    """One canonical entity. `case_sensitive` entries match only as written (e.g. "Apple")."""

    name: str
    label: str
    category: str | None = None
    aliases: tuple[str, ...] = ()
    case_sensitive: bool = False

    @property
    def forms(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True, slots=True)
class Resolution:
    entry: Entry
    score: float  # 100 for an exact name/alias match, else the fuzzy similarity


@dataclass
class Gazetteer:
    """The entries indexed for exact, case-sensitive and fuzzy lookup (see `load_gazetteer`)."""

    entries: tuple[Entry, ...]
    ignore: frozenset[str] = frozenset()  # match keys of surfaces that are never entities
    ignore_patterns: tuple[re.Pattern[str], ...] = ()
    distinct: frozenset[str] = frozenset()  # names never merged with another spelling
    _exact: dict[str, Entry] = field(default_factory=dict, repr=False)
    _exact_cased: dict[str, Entry] = field(default_factory=dict, repr=False)
    _fuzzy_keys: list[str] = field(default_factory=list, repr=False)
    _fuzzy_entries: list[Entry] = field(default_factory=list, repr=False)
    _cache: dict[str, Resolution | None] = field(default_factory=dict, repr=False)
    by_name: dict[str, Entry] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.by_name = {e.name: e for e in self.entries}
        for entry in self.entries:
            for form in entry.forms:
                if entry.case_sensitive:
                    self._exact_cased.setdefault(normalize_space(form), entry)
                    continue
                key = match_key(form)
                self._exact.setdefault(key, entry)
                if len(key) >= FUZZY_MIN_LEN:
                    self._fuzzy_keys.append(key)
                    self._fuzzy_entries.append(entry)

    def is_ignored(self, surface: str) -> bool:
        """True for surfaces the model tags but that are never entities ("AI", "TP64")."""
        key = match_key(surface)
        return key in self.ignore or any(p.fullmatch(surface.strip()) for p in self.ignore_patterns)

    def lookup(self, surface: str) -> Entry | None:
        """Exact match on a name or alias (case-insensitive unless the entry says otherwise)."""
        text = normalize_space(surface)
        return self._exact_cased.get(text) or self._exact.get(match_key(text))

    def fuzzy(self, surface: str) -> tuple[Entry, float] | None:
        """Closest canonical name or alias, when it is a near-miss spelling (see FUZZY_MIN)."""
        key = match_key(surface)
        if len(key) < FUZZY_MIN_LEN or not self._fuzzy_keys:
            return None
        cutoff = FUZZY_MIN if len(key) >= 8 else FUZZY_MIN_SHORT
        best = process.extractOne(key, self._fuzzy_keys, scorer=fuzz.ratio, score_cutoff=cutoff)
        if best is None:
            return None
        candidate, score, index = best
        if candidate[0] != key[0] or _DIGITS.findall(candidate) != _DIGITS.findall(key):
            return None
        return self._fuzzy_entries[index], float(score)

    def resolve(self, surface: str) -> Resolution | None:
        """Canonical entry for a surface or an analyser name, or None when unknown."""
        if surface in self._cache:
            return self._cache[surface]
        result = self._resolve(surface)
        if len(self._cache) >= _CACHE_MAX:  # distinct surfaces grow with the corpus
            self._cache.clear()
        self._cache[surface] = result
        return result

    def _resolve(self, surface: str) -> Resolution | None:
        head, aliases = split_parenthetical(surface)
        candidates = [surface, head, *aliases]
        cleaned = clean_name(head)
        if cleaned:
            candidates.append(cleaned)
        for text in candidates:
            entry = self.lookup(text)
            if entry is not None:
                return Resolution(entry, 100.0)
        for text in [cleaned, *aliases]:
            if text and not self.is_ignored(text):
                found = self.fuzzy(text)
                if found is not None:
                    return Resolution(found[0], found[1])
        return None

    def ruler_patterns(self, make_doc: Any) -> list[dict[str, Any]]:
        """EntityRuler patterns: phrase patterns (matched on LOWER) or, for case-sensitive
        entries, token patterns on ORTH. The pattern id is the canonical name."""
        patterns: list[dict[str, Any]] = []
        for entry in self.entries:
            for form in dict.fromkeys(entry.forms):
                if entry.case_sensitive:
                    tokens = [{"ORTH": t.text} for t in make_doc(form)]
                    patterns.append({"label": entry.label, "pattern": tokens, "id": entry.name})
                else:
                    patterns.append({"label": entry.label, "pattern": form, "id": entry.name})
        return patterns


def load_gazetteer(path: str | os.PathLike[str] | None = None) -> Gazetteer:
    """Parse and validate a gazetteer file (the packaged one by default); cached per path."""
    return _load_cached(str(Path(path) if path else default_gazetteer_path()))


def forget_loaded() -> None:
    """Drop loaded gazetteers, so the next load reads the file again (after a merge)."""
    _load_cached.cache_clear()


@lru_cache(maxsize=8)
def _load_cached(path: str) -> Gazetteer:
    data = read_gazetteer_data(Path(path))
    entries = tuple(parse_entry(raw, path) for raw in data.get("entities") or [])
    return Gazetteer(
        entries=entries,
        ignore=frozenset(match_key(s) for s in data.get("ignore") or []),
        ignore_patterns=tuple(re.compile(p) for p in data.get("ignore_patterns") or []),
        distinct=frozenset(normalize_space(str(s)) for s in data.get("distinct") or []),
    )


def read_gazetteer_data(path: Path) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's when PyYAML has it
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping with `entities`, `ignore`")
    return data


def parse_entry(raw: Mapping[str, Any], path: str) -> Entry:
    name = normalize_space(str(raw.get("name") or ""))
    label = raw.get("label")
    if not name or label not in LABELS:
        raise ValueError(f"{path}: entry {raw!r} needs a name and a label in {sorted(LABELS)}")
    return Entry(
        name=name,
        label=label,
        category=raw.get("category") or None,
        aliases=tuple(normalize_space(str(a)) for a in raw.get("aliases") or []),
        case_sensitive=bool(raw.get("case_sensitive", False)),
    )


# --- suggestions and merging -------------------------------------------------------------------
