"""Discovered topics: an episode's top keyphrases, for shows that no taxonomy covers.

Candidates come from tokens alone, because the extraction pipeline has no tagger or parser (and
a language without a trained pipeline has only a tokenizer): runs of 1-3 content words, where a
content word is alphabetic or alphanumeric with a letter ("k8s", "ec2"), at least two
characters, not a stop word (`token.is_stop`, from the pipeline's language), not a number and
not speech filler ("yeah", "gonna", "um"). Punctuation, line breaks (segment boundaries), stop
words and filler end a run, so no phrase spans them. Words joined by a hyphen without spaces
("self-driving") count as one word.

Person names are left out: tokens of PERSON/PER entities end a run, a word the recognizer tags
as a person in at least half its uses is a name everywhere in the episode, and the caller may
name the speakers, host and guests (`names`). Persons already have their own table
(`mentions`), and in a transcript the most repeated names are the hosts' and guests' own, which
would fill every episode's list with the same people instead of its subject. Other entities
(products, organisations, places) stay candidates through their tokens, since "Postgres" or
"Caracas" is often exactly what an episode is about; entities are not candidates as wholes, so
one with a stop word inside ("Bank of America") is missed.

A phrase's score is its count in the episode times its specificity in the language at large
(wordfreq's Zipf frequency), so an episode's keyphrases never depend on which other episodes
were ingested. Case variants merge under the most frequent spelling, and in languages that
mark the plural with -s/-es a plural merges with its singular. A shorter phrase that
occurs mostly inside a longer candidate ("vector" inside "vector database") gives way to it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from spacy.attrs import ENT_TYPE, ORTH, SPACY
from spacy.strings import get_string_id
from spacy.tokens import Doc
from spacy.vocab import Vocab

from podcast_assets.extraction.rows import make_row
from podcast_assets.extraction.wordfreq_import import wordfreq
from podcast_assets.language import base_language
from podcast_assets.schema import TOPICS

SOURCE = "keyphrase"
MAX_WORDS = 3

# A phrase must recur to be a topic of the episode. On the sample transcripts (1,000-36,000
# words) the top 5 were the same with a minimum of 2, 3 or 4: the minimum only keeps a short or
# thin episode from being padded with chance pairs, so it is 2, and 3 past LONG_EPISODE_WORDS.
MIN_COUNT = 2
LONG_EPISODE_MIN_COUNT = 3
LONG_EPISODE_WORDS = 2_000

# Zipf scale: log10 of a word's frequency per billion words. A word at or above COMMON_ZIPF
# ("table", "data", "able", "guess", "interesting") cannot name a subject alone, and no part of
# speech is there to tell the nouns apart: a phrase made only of such words is dropped. At or
# above STOPLIKE_ZIPF ("the", "and", "de", "que") a word is a stop word in all but name, which
# covers pipelines whose stop list is empty (spaCy's "xx").
COMMON_ZIPF = 5.0
STOPLIKE_ZIPF = 6.5
# specificity(word) = SPECIFIC_CAP - max(zipf, RARE_FLOOR), at least 0: "bloat" (2.6) weighs 3.4,
# "table" (5.05) 0.95. A word absent from the lists (an ASR slip as often as a term) counts as
# rare but no rarer than one seen 30 times per billion words. A cap of 6.5 let conversational
# words with high counts ("particular", "human", "listen") into the top 5.
SPECIFIC_CAP = 6.0
RARE_FLOOR = 1.5
# A recurring multi-word phrase is better evidence of a subject than its words alone.
LENGTH_BONUS = 0.5
# The shorter phrase gives way when at least this share of its occurrences is inside the longer:
# "vector" inside "vector database", not "vector database" when half its uses are followed by
# "index".
DOMINATED_SHARE = 2 / 3

# Person names end candidate runs (see the module docstring); English and most other spaCy
# pipelines say PERSON, the French, Spanish and German ones PER.
EXCLUDED_LABELS = frozenset({"PERSON", "PER"})

# A word tagged as part of a person's name in at least this share of its occurrences is taken
# for a name everywhere in the episode. The small English model tags "Autovacuum" as a person
# in 7 of its 19 uses in one episode, while names are tagged in 70-100% of theirs: so, half.
NAME_SHARE = 0.5


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words of conversation that spaCy's stop lists lack and that fill any transcript, whatever its
# subject. Tokenizer pieces included: spaCy splits "gonna" into "gon" + "na".
FILLER: dict[str, frozenset[str]] = {
    "en": _words(
        "yeah yep yup yes nope okay ok gon na wan ta um uh uhm hmm mm mhm huh oh ah aha wow hey "
        "hi bye alright like kinda sorta gotta dunno lot lots thing things stuff guys cool "
        "awesome great basically actually literally obviously definitely totally absolutely "
        "exactly pretty probably maybe kind sort sure right laughter laughs laughing applause "
        "music inaudible crosstalk cuz gotcha whatnot anyways folks"
    ),
    "es": _words(
        "sí vale bueno pues eh ah oh mm mhm ok okey claro entonces osea digamos tipo cosa cosas "
        "risas música"
    ),
    "fr": _words(
        "ouais oui ben bah euh hein ah oh ok okay voilà truc trucs chose choses rires musique"
    ),
    "de": _words("ja jo joa nee ne äh ähm hm mhm okay ok genau halt quasi sozusagen"),
}

# Languages whose regular plural adds -s or -es to the singular.
S_PLURAL_LANGUAGES = frozenset({"en", "es", "fr", "pt", "ca"})

# Language codes that wordfreq files under another code.
_WORDFREQ_ALIASES = {"no": "nb", "iw": "he", "in": "id", "tl": "fil"}


@dataclass(frozen=True, slots=True)
class Keyphrase:
    """A recurring phrase: its most frequent spelling, occurrences, score, and every spelling
    seen (most frequent first)."""

    phrase: str
    count: int
    score: float
    forms: tuple[str, ...]


@lru_cache(maxsize=64)
def wordfreq_language(language: str | None) -> str | None:
    """The wordfreq list to score `language` against, or None when wordfreq has none.

    Exact codes only: wordfreq itself would answer Basque with Spanish frequencies and Swahili
    with English ones. Chinese and Japanese lists need tokenizers that are not installed, so
    they count as absent too.
    """
    code = base_language(language)
    if code is None:
        return None
    code = _WORDFREQ_ALIASES.get(code, code)
    if code not in wordfreq.available_languages():
        return None
    try:
        wordfreq.zipf_frequency("a", code)
    except (LookupError, ImportError):
        return None
    return code


@lru_cache(maxsize=200_000)
def zipf(word: str, lang: str) -> float:
    return float(wordfreq.zipf_frequency(word, lang))


_EXCLUDED_IDS = frozenset(get_string_id(label) for label in EXCLUDED_LABELS)
# How a token takes part in candidate runs: a content word, a word that only a hyphen may join
# to one (stop words, filler: "follow-up"), or a run's end.
_WORD, _JOINABLE, _BREAK = 0, 1, 2


def min_count(words: int) -> int:
    """Occurrences a phrase needs in an episode of `words` words to be a keyphrase."""
    return LONG_EPISODE_MIN_COUNT if words >= LONG_EPISODE_WORDS else MIN_COUNT


class KeyphraseCounter:
    """Counts one episode's candidate phrases over its chunk docs, then ranks them.

    `language` selects the filler list, plural merging and wordfreq's list. For a language
    wordfreq lacks (or None), specificity falls back to word length (longer words are rarer in
    every language, by Zipf's law of abbreviation) and only stop words and filler are
    excluded: the ranking is cruder but still corpus-independent.
    """

    def __init__(self, language: str | None, *, names: Iterable[str] = ()) -> None:
        self.language = base_language(language)
        self.wordfreq_language = wordfreq_language(language)
        self.filler = FILLER.get(self.language or "", frozenset())
        self.words = 0
        # Occurrences per lowercase phrase, and per spelling for the phrases written with a
        # capital somewhere (most are not, so this stays small).
        self._counts: Counter[tuple[str, ...]] = Counter()
        self._cased: Counter[tuple[str, ...]] = Counter()
        # Occurrences of each lowercase word inside a person's name.
        self._in_names: Counter[str] = Counter()
        self._names = frozenset(w.lower() for name in names for w in name.split())
        # orth id -> (text, lowercase, kind): each distinct token is classified once.
        self._kinds: dict[int, tuple[str, str, int]] = {}

    def add(self, doc: Doc) -> None:
        """Counts the candidate runs of one chunk doc of the episode."""
        kinds, vocab = self._kinds, doc.vocab
        run: list[tuple[str, str]] = []  # (text, lowercase) of the current run's words
        glued = False  # the previous token is run[-1], with no space after it
        hyphen = False  # the previous token is a hyphen glued to run[-1] and to this token
        words = 0
        for orth, spaced, ent_type in doc.to_array([ORTH, SPACY, ENT_TYPE]).tolist():
            entry = kinds.get(orth)
            if entry is None:
                entry = kinds[orth] = _classify(vocab, orth, self._names, self.filler)
            text, lower, kind = entry
            if ent_type in _EXCLUDED_IDS:
                if kind != _BREAK:
                    self._in_names[lower] += 1
                kind = _BREAK
            if kind != _BREAK:
                words += 1
            if hyphen:
                hyphen = False
                if kind != _BREAK:  # "self-driving", "follow-up": one word
                    last_text, last_lower = run[-1]
                    run[-1] = (f"{last_text}-{text}", f"{last_lower}-{lower}")
                    glued = not spaced
                    continue
            if kind == _WORD:
                run.append((text, lower))
                glued = not spaced
            elif glued and text == "-" and not spaced:
                hyphen, glued = True, False
            else:
                if run:
                    _count_ngrams(run, self._counts, self._cased)
                run, glued = [], False
        if run:
            _count_ngrams(run, self._counts, self._cased)
        self.words += words

    def top(self, k: int = 5) -> list[Keyphrase]:
        """The `k` best phrases counted at least `min_count` times, best first."""
        counts, merged = merge_plurals(self._counts, self.language)
        minimum = min_count(self.words)
        scores: dict[tuple[str, ...], float] = {}
        for key, count in counts.items():
            if count >= minimum and len(set(key)) == len(key) and not self._names_in(key, counts):
                rarity = specificity(key, self.wordfreq_language)
                if rarity is not None:
                    scores[key] = count * rarity * (1 + LENGTH_BONUS * (len(key) - 1))
        dominated = {
            sub
            for key in scores
            for sub in _sub_phrases(key)
            if sub in scores and counts[key] >= DOMINATED_SHARE * counts[sub]
        }
        ranked = sorted(
            (key for key in scores if key not in dominated), key=lambda key: (-scores[key], key)
        )
        return [
            _keyphrase(
                key, counts[key], scores[key], merged.get(key, (key,)), self._counts, self._cased
            )
            for key in ranked[:k]
        ]

    def _names_in(self, key: tuple[str, ...], counts: Counter[tuple[str, ...]]) -> bool:
        """Whether a word of the phrase is mostly seen inside person names: the recognizer
        tags a name in one sentence and misses it in the next (lowercased captions above all),
        so a word it tags as a person often enough is a name everywhere."""
        in_names = self._in_names
        return any(
            in_names[w] and in_names[w] >= NAME_SHARE * (in_names[w] + counts[(w,)]) for w in key
        )


def _classify(
    vocab: Vocab, orth: int, names: frozenset[str], filler: frozenset[str]
) -> tuple[str, str, int]:
    """(text, lowercase, kind) of a token: a candidate word, a joinable stop word, or a break."""
    lex = vocab[orth]
    text, lower = lex.orth_, lex.lower_
    shaped = (
        len(text) >= 2
        and not lex.like_num
        and (lex.is_alpha or (text.isalnum() and any(c.isalpha() for c in text)))
    )
    if not shaped:
        return text, lower, _BREAK
    if lower in names:
        return text, lower, _BREAK
    if lex.is_stop or lower in filler:
        return text, lower, _JOINABLE
    return text, lower, _WORD


def _count_ngrams(
    run: list[tuple[str, str]],
    counts: Counter[tuple[str, ...]],
    cased: Counter[tuple[str, ...]],
) -> None:
    """Every 1-3 word n-gram of the run, by lowercase and (when cased) by spelling."""
    texts = [text for text, _ in run]
    lowers = [lower for _, lower in run]
    for j in range(len(run)):
        for i in range(max(0, j - MAX_WORDS + 1), j + 1):
            key = tuple(lowers[i : j + 1])
            counts[key] += 1
            surface = tuple(texts[i : j + 1])
            if surface != key:
                cased[surface] += 1


def _keyphrase(
    key: tuple[str, ...],
    count: int,
    score: float,
    keys: tuple[tuple[str, ...], ...],
    counts: Counter[tuple[str, ...]],
    cased: Counter[tuple[str, ...]],
) -> Keyphrase:
    """The phrase under its spellings: every cased one, and lowercase for the rest."""
    spellings: Counter[str] = Counter()
    wanted = set(keys)
    for surface, n in cased.items():
        lower = tuple(w.lower() for w in surface)
        if lower in wanted:
            spellings[" ".join(surface)] += n
    for lower in keys:
        rest = counts[lower] - sum(
            n for s, n in spellings.items() if tuple(s.lower().split(" ")) == lower
        )
        if rest > 0:
            spellings[" ".join(lower)] += rest
    forms = tuple(f for f, _ in sorted(spellings.items(), key=lambda x: (-x[1], x[0])))
    return Keyphrase(forms[0], count, round(score, 3), forms)


def specificity(key: tuple[str, ...], lang: str | None) -> float | None:
    """How much the phrase's words say about a subject, or None when they say nothing;
    `lang` is a wordfreq list (None: word length stands in for rarity)."""
    if lang is None:
        return sum(min(max(len(w) - 2, 1), 8) for w in key) / (2 * len(key))
    zipfs = [zipf(w, lang) for w in key]
    if zipfs[0] >= STOPLIKE_ZIPF or zipfs[-1] >= STOPLIKE_ZIPF:
        return None
    if all(z >= COMMON_ZIPF for z in zipfs):
        return None
    return sum(max(0.0, SPECIFIC_CAP - max(z, RARE_FLOOR)) for z in zipfs) / len(zipfs)


def merge_plurals(
    counts: Counter[tuple[str, ...]], language: str | None
) -> tuple[Counter[tuple[str, ...]], dict[tuple[str, ...], tuple[tuple[str, ...], ...]]]:
    """Counts with plurals under their singular, and the keys merged into each."""
    counts = Counter(counts)
    merged: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = {}
    if language in S_PLURAL_LANGUAGES:
        for key in [key for key in counts if key[-1].endswith("s")]:
            for singular in _singulars(key):
                if singular in counts:
                    counts[singular] += counts.pop(key)
                    merged[singular] = (*merged.get(singular, (singular,)), key)
                    break
    return counts, merged


def _singulars(key: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The phrase with its last word's regular -s/-es plural undone (both guesses)."""
    last = key[-1]
    stems = [last[:-1]]
    if last.endswith("es"):
        stems.append(last[:-2])
    return [(*key[:-1], stem) for stem in stems if len(stem) >= 3]


def _sub_phrases(key: tuple[str, ...]) -> list[tuple[str, ...]]:
    n = len(key)
    return [key[i:j] for i in range(n) for j in range(i + 1, n + 1) if j - i < n]


def keyphrase_rows(episode_id: str, phrases: Sequence[Keyphrase]) -> list[dict[str, Any]]:
    """TOPICS rows for an episode's keyphrases.

    topic is the phrase lowercased, keywords its spellings; prominence = min(1, count / 10),
    the formula of the taxonomy's and the analyser's rows, so the column means one thing
    whatever the source.
    """
    return [
        make_row(
            TOPICS,
            episode_id=episode_id,
            topic=p.phrase.lower(),
            mentions=p.count,
            prominence=min(1.0, p.count / 10),
            keywords=list(p.forms),
            source=SOURCE,
            category=None,
        )
        for p in phrases
    ]
