"""Growing the gazetteer through review: suggest entries for unknown names, merge reviewed ones.

`podcast-assets gazetteer suggest` lists names the analyser's LLM pass found that the
gazetteer lacks; a user completes the labels and `podcast-assets gazetteer merge` writes them
into the YAML, sorted and stable, so the diff shows exactly what was reviewed.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from podcast_assets.extraction.gazetteer import (
    ENTRY_KEYS,
    PERSON_CATEGORY,
    Gazetteer,
    default_gazetteer_path,
    forget_loaded,
    load_gazetteer,
    parse_entry,
    read_gazetteer_data,
)
from podcast_assets.extraction.surfaces import clean_name, match_key, split_parenthetical


def suggest_gazetteer_entries(
    names_with_categories: Iterable[tuple[str, str | None]],
    gazetteer_path: str | os.PathLike[str] | None = None,
) -> list[dict[str, Any]]:
    """Entries to review for names the gazetteer does not cover yet.

    Input is typically the analyser's LLM-pass mentions already in the warehouse
    (`SELECT surface, category FROM mentions WHERE source = 'analyzer_llm'`). Names are cleaned
    (discourse words stripped, descriptive parentheticals dropped, "NKI (Neuron Kernel
    Interface)" split into name and alias), junk and ignored surfaces skipped, and duplicates
    folded; lone first names of people are skipped. A near-miss of a known entry comes back as
    that entry with the new alias (`existing: True`). The label is guessed only for people;
    entries with `label: None` must be completed before merging.
    Sorted by how often the name occurred, then by name.
    """
    gazetteer = load_gazetteer(gazetteer_path)
    found = _Suggestions()
    for raw_name, category in names_with_categories:
        head, extra = split_parenthetical(raw_name or "")
        name = clean_name(head)
        if not name or gazetteer.is_ignored(name):
            continue
        if gazetteer.lookup(name) is not None and all(gazetteer.lookup(a) for a in extra):
            continue
        resolution = gazetteer.resolve(name)
        if resolution is not None:
            # Known entity under a new spelling: suggest the spelling as an alias.
            new_forms = [form for form in [name, *extra] if gazetteer.lookup(form) is None]
            found.add_alias(resolution.entry.name, new_forms)
        elif " " not in name and category and PERSON_CATEGORY.search(category):
            continue  # a lone first name ("Ron") is not an entry; its full name may be
        else:
            found.add_new(name, extra, category)
    return found.entries(gazetteer)


@dataclass
class _Suggestions:
    """New names (folded by match key) and new spellings of known entries, with counts."""

    counts: Counter[str] = field(default_factory=Counter)
    names: dict[str, str] = field(default_factory=dict)
    aliases: defaultdict[str, dict[str, None]] = field(default_factory=lambda: defaultdict(dict))
    categories: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    existing_aliases: defaultdict[str, dict[str, None]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    existing_counts: Counter[str] = field(default_factory=Counter)

    def add_alias(self, canonical: str, forms: Iterable[str]) -> None:
        for form in forms:
            self.existing_aliases[canonical][form] = None
        self.existing_counts[canonical] += 1

    def add_new(self, name: str, extra: Iterable[str], category: str | None) -> None:
        key = match_key(name)
        self.counts[key] += 1
        self.names.setdefault(key, name)
        for alias in extra:
            if match_key(alias) != key:
                self.aliases[key][alias] = None
        if category and category != "unknown":
            self.categories[key][category] += 1

    def entries(self, gazetteer: Gazetteer) -> list[dict[str, Any]]:
        """Most frequent first, then by name."""
        suggestions: list[dict[str, Any]] = []
        for key, count in self.counts.items():
            top = self.categories[key].most_common(1)
            category = top[0][0] if top else None
            suggestions.append(
                {
                    "name": self.names[key],
                    "label": "PERSON" if category and PERSON_CATEGORY.search(category) else None,
                    "category": category,
                    "aliases": list(self.aliases[key]),
                    "count": count,
                    "existing": False,
                }
            )
        for canonical, new_aliases in self.existing_aliases.items():
            if new_aliases:
                entry = gazetteer.by_name[canonical]
                suggestions.append(
                    {
                        "name": canonical,
                        "label": entry.label,
                        "category": entry.category,
                        "aliases": list(new_aliases),
                        "count": self.existing_counts[canonical],
                        "existing": True,
                    }
                )
        suggestions.sort(key=lambda s: (-s["count"], s["name"].casefold()))
        return suggestions


def merge_gazetteer_entries(
    entries: Iterable[Mapping[str, Any]],
    gazetteer_path: str | os.PathLike[str] | None = None,
) -> Path:
    """Merge reviewed entries into the YAML, keeping it sorted and byte-stable.

    An entry whose name (or alias) matches an existing entity adds its aliases to it and fills
    a missing category; otherwise it is added. Entities are sorted by name, aliases
    alphabetically; the file's leading comment block is kept. Writing an unchanged gazetteer
    reproduces the file exactly, so diffs show only what a review changed.
    """
    path = Path(gazetteer_path) if gazetteer_path else default_gazetteer_path()
    text = path.read_text(encoding="utf-8")
    data = read_gazetteer_data(path)
    merged: dict[str, dict[str, Any]] = {}
    index: dict[str, str] = {}
    for raw in data.get("entities") or []:
        _merge_one(merged, index, raw, str(path))
    for raw in entries:
        _merge_one(merged, index, raw, str(path))
    data["entities"] = [merged[k] for k in sorted(merged, key=str.casefold)]
    path.write_text(render_gazetteer(data, header=_header(text)), encoding="utf-8")
    forget_loaded()
    return path


def _merge_one(
    merged: dict[str, dict[str, Any]], index: dict[str, str], raw: Mapping[str, Any], where: str
) -> None:
    entry = parse_entry(raw, where)  # validates name and label
    keys = [match_key(f) for f in entry.forms]
    target = next((index[k] for k in keys if k in index), None)
    if target is None:
        target = entry.name
        merged[target] = {
            "name": entry.name,
            "label": entry.label,
            "category": entry.category,
            "case_sensitive": entry.case_sensitive,
            "aliases": [],
        }
    current = merged[target]
    current["category"] = current["category"] or entry.category
    forms = {*current["aliases"], *(f for f in entry.forms if f != current["name"])}
    current["aliases"] = sorted(forms, key=lambda a: (a.casefold(), a))
    for form in entry.forms:
        index.setdefault(match_key(form), target)


def render_gazetteer(data: Mapping[str, Any], header: str = "") -> str:
    """The canonical text of a gazetteer: fixed key order, one-line alias lists."""
    entities = []
    for raw in data.get("entities") or []:
        item: dict[str, Any] = {"name": raw["name"], "label": raw["label"]}
        if raw.get("category"):
            item["category"] = raw["category"]
        if raw.get("case_sensitive"):
            item["case_sensitive"] = True
        if raw.get("aliases"):
            item["aliases"] = _FlowList(raw["aliases"])
        entities.append({k: item[k] for k in ENTRY_KEYS if k in item})
    body = {
        "entities": entities,
        "ignore": sorted(data.get("ignore") or [], key=lambda s: (s.casefold(), s)),
        "ignore_patterns": list(data.get("ignore_patterns") or []),
    }
    if data.get("distinct"):
        body["distinct"] = sorted(data["distinct"], key=lambda s: (str(s).casefold(), str(s)))
    dumped = yaml.dump(
        body,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100,
    )
    return f"{header}{dumped}"


class _FlowList(list):
    """A list rendered on one line (aliases), so an added alias is a one-line diff."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    _FlowList,
    lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True),
)


def _header(text: str) -> str:
    lines = []
    for line in text.splitlines(keepends=True):
        if not line.startswith("#"):
            break
        lines.append(line)
    return "".join(lines)
