"""Alias resolution: which surface forms across a corpus are spellings of one entity.

The gazetteer resolves the names it knows; the model finds many more, and ASR and transcribers
spell them several ways ("Audio Boom", "Audioboom"; "Pod News", "Podnews"; "John Cron",
"Jon Krohn"). `resolve_aliases` groups such spellings per label and names one canonical for
each group, so counts and joins see one entity. Evidence, strongest first:
- gazetteer: the surface is a gazetteer name or alias (whatever its label);
- key: same `alias_key` (case, spaces, punctuation, accents and a possessive ignored);
- fuzzy: near-identical keys (a dropped letter, a plural) for labels other than PERSON;
- phonetic: keys that sound alike (same metaphone) and are still similar in writing;
- override: a reviewer's decision, which beats all but the gazetteer.
A group that holds a gazetteer name takes it as canonical; two gazetteer entities never merge.
Otherwise the canonical is the most used spelling (`_rank` breaks ties). Every other member is
matched directly to the group's leader, never through a chain of near-misses.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import jellyfish
import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from podcast_assets.extraction.gazetteer import Gazetteer
from podcast_assets.extraction.surfaces import (
    is_leading_word,
    is_trailing_word,
    normalize_space,
    said_signs,
)
from podcast_assets.language import base_language

METHODS = ("gazetteer", "key", "fuzzy", "phonetic", "override")
# A near-miss spelling: rapidfuzz's normalised Indel similarity of keys >= 90 and at most one
# edit (two from 10 characters). So a key of 6-9 characters may gain or lose one letter
# ("PlantScale"/"PlanetScale" 95) but not change one ("Docker"/"Decker", "Claude"/"Clause"
# 83), and "Postman"/"Postmark" (93, 2 edits) stay apart. A name plus a word is another name
# ("Postgres AI", "OpenShift AI"): only a plural "s" may be added ("iPhones"). Shorter keys
# ("Meta"/"Mata", "Sora"/"Sara") never merge by similarity, and both keys must share their
# first letter and their digits ("Llama 2"/"Llama 3", "Trainium 2"/"Trainium 3").
FUZZY_MIN = 90.0
FUZZY_MIN_LEN = 6
FUZZY_LONG = 10
# Same metaphone lets sound-alike substitutions through ("Zenlytic"/"Zenlitic" 87.5,
# "Kubernetes"/"Cubernetes"), at most two edits and only for keys of 8+ characters: shorter
# homophones are too often other names ("Notion"/"Nation", "Docker"/"Decker" share a metaphone).
PHONETIC_MIN = 80.0
PHONETIC_MIN_LEN = 8
# PERSON: no plain fuzzy ("Jason Warner"/"Jason Werner" is 91 and two people). Each word must
# sound alike with its vowels kept (`_person_key`), so "John Cron"/"Jon Krohn" (75) and
# "Chris Brandow"/"Kris Brandow" merge and "Warner"/"Werner" do not. Only names of two words
# or more, with the same number of words: a lone first name never joins a full name here
# (mentions.py links those within an episode), nor another lone name ("Chris"/"Kris").
PERSON_MIN = 60.0
PERSON = "PERSON"
# Distinct places and languages are often one letter apart ("Colombia"/"Columbia",
# "Austria"/"Australia", "Slovakia"/"Slovenia"): only key and gazetteer merges for them.
KEY_ONLY_LABELS = frozenset({"GPE", "LOC", "LANGUAGE"})

_NO_OVERRIDES: Mapping[str, str | None] = MappingProxyType({})
_POSSESSIVE = re.compile(r"(?<=\w)['\u2019\u02bc][sS]?(?=[\W_]*$)")
_NOT_ASCII_KEY = re.compile(r"[^0-9a-z]+")
_DIGITS = re.compile(r"\d+")
_VOWELS = re.compile(r"[aeiouy]+")
_FOLD = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th"})
_FOLDED_SCRIPTS = ("LATIN", "GREEK", "CYRILLIC")  # scripts whose accents are marks to drop


@dataclass(frozen=True, slots=True)
class NameCount:
    """One distinct (surface, label) with how often it was seen (e.g. mentions per surface)."""

    surface: str
    label: str | None
    count: int


@dataclass(frozen=True, slots=True)
class Alias:
    """`surface` (seen with `label`) is a spelling of `canonical`; `method` is in METHODS,
    `score` the similarity of keys (100 for gazetteer, key and override)."""

    surface: str
    canonical: str
    label: str | None
    method: str
    score: float


def alias_key(name: str) -> str:
    """Case-, space-, punctuation- and accent-insensitive key: "Audio Boom", "audio-boom" and
    "Audioboom's" give "audioboom"; "C#" gives "csharp" (see `said_signs`). Accents are
    dropped only from Latin, Greek and Cyrillic letters; other scripts keep their letters and
    signs ("हिन्दी" stays whole)."""
    text = _POSSESSIVE.sub("", said_signs(unicodedata.normalize("NFKC", name).strip())).casefold()
    if text.isascii():
        return _NOT_ASCII_KEY.sub("", text)
    kept: list[str] = []
    folded = False  # whether the last letter's script drops its accents
    for char in unicodedata.normalize("NFKD", text):
        category = unicodedata.category(char)
        if category[0] in "LN":
            folded = unicodedata.name(char, "").startswith(_FOLDED_SCRIPTS)
            kept.append(char)
        elif category[0] == "M" and not folded:
            kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept)).translate(_FOLD)


def gazetteer_keys(gazetteer: Gazetteer) -> dict[str, str]:
    """`alias_key` of every gazetteer name and alias -> canonical name. Names are indexed before
    aliases and entries in file order, so a name is never taken over by another entry's alias.
    Case-sensitive entries are indexed too: their casing is enforced where mentions are found,
    and a lower-case model span never becomes a mention."""
    keys: dict[str, str] = {}
    for entry in gazetteer.entries:
        keys.setdefault(alias_key(entry.name), entry.name)
    for entry in gazetteer.entries:
        for alias in entry.aliases:
            keys.setdefault(alias_key(alias), entry.name)
    keys.pop("", None)
    return keys


def resolve_aliases(
    names: Iterable[NameCount],
    gazetteer_names: Mapping[str, str],
    overrides: Mapping[str, str | None] = _NO_OVERRIDES,
) -> list[Alias]:
    """One Alias per input surface (and label) whose canonical differs from it, sorted by
    (label, canonical, surface); the result does not depend on the order of `names`.

    Names are resolved within their label. A None label (unknown type) merges by gazetteer and
    key only, and only with other None-labelled names. `overrides` maps an exact surface to a
    canonical (forced merge, method "override") or to None (the surface keeps its own name and
    nothing merges into it). A gazetteer name or alias is never overridden (edit the gazetteer
    instead), and an override target that is a gazetteer form becomes its canonical.
    """
    counts: defaultdict[str | None, defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
    for name in names:
        surface = normalize_space(name.surface)
        if alias_key(surface):
            counts[name.label][surface] += name.count
    forced = {normalize_space(s): t for s, t in overrides.items()}
    out: list[Alias] = []
    for label, seen in counts.items():
        free = {s: c for s, c in seen.items() if s not in forced or alias_key(s) in gazetteer_names}
        merged = {a.surface: a for a in _resolve_label(label, free, gazetteer_names)}
        out.extend(merged.values())
        for surface in sorted(seen.keys() - free.keys()):
            target = forced[surface]
            if target is None:
                continue
            target = normalize_space(target)
            if (canonical := gazetteer_names.get(alias_key(target))) is None:
                canonical = merged[target].canonical if target in merged else target
            if canonical != surface:
                out.append(Alias(surface, canonical, label, "override", 100.0))
    return sorted(out, key=lambda a: (a.label or "", a.canonical, a.surface))


def _resolve_label(
    label: str | None, seen: Mapping[str, int], gazetteer_names: Mapping[str, str]
) -> Iterator[Alias]:
    """Leader clustering of one label's names; see the module docstring."""
    groups: defaultdict[str, list[str]] = defaultdict(list)
    for surface in seen:
        key = alias_key(surface)
        if key in gazetteer_names:
            canonical = gazetteer_names[key]
            if surface != canonical:
                yield Alias(surface, canonical, label, "gazetteer", 100.0)
        else:
            groups[key].append(surface)
    rank = {s: _rank(s, seen[s]) for members in groups.values() for s in members}
    for members in groups.values():
        members.sort(key=rank.__getitem__)
    # Units in priority order: every gazetteer entity, then key groups by their best spelling.
    canonicals = sorted(set(gazetteer_names.values()))
    index = {c: n for n, c in enumerate(canonicals)}
    free = sorted(groups, key=lambda k: rank[groups[k][0]])
    keys = [*gazetteer_names, *free]
    unit_of = [index[c] for c in gazetteer_names.values()]
    unit_of += range(len(canonicals), len(canonicals) + len(free))
    heads = [*canonicals, *(groups[k][0] for k in free)]
    words = [c.split() for c in gazetteer_names.values()] + [groups[k][0].split() for k in free]
    edges: defaultdict[int, list[tuple[float, int, str]]] = defaultdict(list)
    if label is not None and label not in KEY_ONLY_LABELS:
        for i, j, method, score in _similar_pairs(label, keys, words):
            low, high = sorted((unit_of[i], unit_of[j]))
            if high >= len(canonicals) and low != high:  # never two gazetteer entities
                edges[high].append((-score, low, method))
    leader = list(range(len(heads)))
    for unit in range(len(canonicals), len(heads)):
        members = groups[free[unit - len(canonicals)]]
        for neg_score, other, method in sorted(edges[unit]):
            if leader[other] == other:
                leader[unit] = other
                for surface in members:
                    yield Alias(surface, heads[other], label, method, -neg_score)
                break
        else:
            for surface in members[1:]:
                yield Alias(surface, members[0], label, "key", 100.0)


def _rank(surface: str, count: int) -> tuple[int, bool, int, int, str]:
    """Sort key of spellings, best first: most used; then not all lower case ("Podnews" over
    "podnews"); then more capitals inside mixed-case words, which a writer types on purpose
    ("DeepMind", "GitHub", "iPhone"); then fewer spaces, since ASR splits brands ("Audio Boom")
    more often than it fuses them; then code-point order, so the choice is always the same."""
    inner = sum(sum(c.isupper() for c in w[1:]) for w in surface.split() if not w.isupper())
    return (-count, surface.islower(), -inner, surface.count(" "), surface)


def _similar_pairs(
    label: str, keys: list[str], words: list[list[str]]
) -> Iterator[tuple[int, int, str, float]]:
    """(i, j, method, score) for keys similar enough to merge; blocked, never all pairs."""
    if label == PERSON:
        blocks: defaultdict[tuple[str, ...], list[int]] = defaultdict(list)
        for i, name_words in enumerate(words):
            if person := _person_key(name_words):
                blocks[person].append(i)
        yield from _block_pairs(blocks.values(), keys, PERSON_MIN, "phonetic", max(map(len, keys)))
        return
    # Fuzzy candidates share their first two letters, or their first and last letter: a near
    # miss changes both its second and its last letter only rarely, and blocks stay small.
    by_ends: defaultdict[str, list[int]] = defaultdict(list)
    by_sound: defaultdict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(keys):
        if len(key) >= FUZZY_MIN_LEN:
            by_ends[key[:2]].append(i)
            by_ends[f"{key[0]}${key[-1]}"].append(i)
        if len(key) >= PHONETIC_MIN_LEN and key.isascii() and (sound := jellyfish.metaphone(key)):
            by_sound[sound].append(i)
    found: dict[tuple[int, int], tuple[str, float]] = {}
    for i, j, method, score in _block_pairs(by_ends.values(), keys, FUZZY_MIN, "fuzzy", 1):
        found[i, j] = (method, score)
    for i, j, method, score in _block_pairs(by_sound.values(), keys, PHONETIC_MIN, "phonetic", 2):
        found.setdefault((i, j), (method, score))
    for (i, j), (method, score) in found.items():
        yield i, j, method, score


def _block_pairs(
    blocks: Iterable[list[int]], keys: list[str], cutoff: float, method: str, edits: int
) -> Iterator[tuple[int, int, str, float]]:
    """Pairs (i < j) within each block whose keys score >= cutoff and are `_compatible`, with
    one more edit allowed from FUZZY_LONG characters for fuzzy pairs. Keys are compared only
    with keys at most that many characters longer, which keeps a large block cheap."""
    band = edits + (method == "fuzzy")
    for block in blocks:
        by_length: defaultdict[int, list[int]] = defaultdict(list)
        for i in block:
            by_length[len(keys[i])].append(i)
        for length, rows in by_length.items():
            cols = [j for n in range(length, length + band + 1) for j in by_length.get(n, ())]
            if len(cols) < 2:
                continue
            texts = [keys[j] for j in cols]
            scores = process.cdist(
                texts[: len(rows)], texts, scorer=fuzz.ratio, score_cutoff=cutoff
            )
            for a, b in zip(*np.nonzero(scores), strict=True):
                i, j = rows[a], cols[b]
                if b < len(rows) and a >= b:  # same length: each pair once
                    continue
                limit = edits + (
                    method == "fuzzy" and min(len(keys[i]), len(keys[j])) >= FUZZY_LONG
                )
                if _compatible(keys[i], keys[j], limit):
                    yield min(i, j), max(i, j), method, round(float(scores[a, b]), 2)


def _compatible(a: str, b: str, edits: int) -> bool:
    """Same digits, at most `edits` apart, and not a name plus a word: when one key starts or
    ends the other, only a plural "s" may be added ("iPhones"; but "Postgres AI", "OpenShift AI"
    and "Godfather II" are other things, though their metaphone and similarity match)."""
    short, long = sorted((a, b), key=len)
    if long.startswith(short) or long.endswith(short):
        return long == short + "s"
    return (
        _DIGITS.findall(a) == _DIGITS.findall(b)
        and Levenshtein.distance(a, b, score_cutoff=edits) <= edits
    )


def _person_key(words: list[str]) -> tuple[str, ...]:
    """Per word: metaphone (consonant sounds, "ch" before r/l read as "k", as in "Chris") and
    vowel letters without a silent final "e"; empty for a single word, or for names with digits
    or non-Latin letters."""
    parts = []
    for key in filter(None, map(alias_key, words)):
        if not (key.isascii() and key.isalpha()):
            return ()
        key = re.sub(r"^ch(?=[rl])", "k", key)
        vowels = key[:-1] if len(key) > 3 and key[-1] == "e" and key[-2] not in "aeiouy" else key
        vowels = vowels[1:] if vowels[0] == "y" else vowels
        parts.append(f"{jellyfish.metaphone(key)}:{'-'.join(_VOWELS.findall(vowels))}")
    return tuple(parts) if len(parts) > 1 else ()


# Discourse and filler words (and phrases) that speakers put next to a name and NER glues to it
# ("Metallica Okay", "Buenas Google"), as (leading, trailing) per language, compared by
# `alias_key`. English also uses surfaces.LEADING_WORDS and TRAILING_WORDS (which the extraction
# already strips); listed here is only what those lack. "y" (Spanish "and") is left out for
# "Y Combinator", French "bon" for "Bon Jovi"; brands that are such words ("Claro", "Vale",
# "Okay Google") are flagged too, so look a name up in the gazetteer before this.
_DISCOURSE: dict[str, tuple[str, str]] = {
    "en": (
        "alright, anyway, basically, honestly, literally, obviously, sorry, please, yep, yup, "
        "nope, i mean, you know, i think, i guess",
        "okay, ok, yeah, yep, yup, right, alright, anyway, though, um, uh, hmm, huh, eh, like, "
        "actually, basically, literally, please, guys, you know, i mean, i guess, i think",
    ),
    "es": (
        "buenas, buenos días, bueno, hola, pues, entonces, o sea, este, oye, mira, vale, claro, "
        "sí, no, pero, porque, como, también, gracias, vamos, ah, eh, ajá, venga, ya, así que, "
        "digamos, esta vez, a ver, de hecho, por ejemplo, sin embargo, es decir, okay, ok",
        "pues, entonces, vale, no, verdad, sabes, también, bueno, eh, ya, digamos, o sea, claro, "
        "okay, ok, gracias, vamos, por favor",
    ),
    "fr": (
        "alors, bah, ben, voilà, donc, bref, enfin, euh, oui, ouais, non, merci, bonjour, salut, "
        "d'accord, et, mais, parce que, en fait, du coup, tu sais, vous savez, okay, ok",
        "quoi, hein, voilà, donc, alors, enfin, bref, euh, non, oui, d'accord, okay, ok, du coup, "
        "en fait",
    ),
    "de": (
        "also, ja, nein, genau, naja, na, tja, halt, eben, doch, okay, ok, hallo, danke, äh, ähm, "
        "und, aber, oder, weil",
        "also, ja, halt, eben, doch, oder, ne, genau, okay, ok, und so, oder so, irgendwie",
    ),
}


def _phrases(text: str) -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(alias_key(w) for w in p.split()) for p in text.split(","))


_EDGES = {lang: (_phrases(lead), _phrases(trail)) for lang, (lead, trail) in _DISCOURSE.items()}


def is_fused_discourse(name: str, language: str = "en") -> bool:
    """True when a discourse or filler word (or phrase) of `language` sits at either edge of
    `name` ("So I", "Metallica Okay", "Buenas Podnews", "Esta vez"), or is all of it. Languages
    without a table (or a region, "es-VE" is "es") fall back to English."""
    lang = base_language(language) or "en"
    if lang not in _EDGES:
        lang = "en"
    words = [w for w in (w.strip('.,;:!?¿¡"()[]') for w in name.split()) if alias_key(w)]
    if not words:
        return False
    keys = tuple(alias_key(w) for w in words)
    leading, trailing = _EDGES[lang]
    for n in range(1, min(3, len(keys)) + 1):
        if keys[:n] in leading or keys[-n:] in trailing:
            return True
    return lang == "en" and (is_leading_word(words[0]) or is_trailing_word(words[-1]))
