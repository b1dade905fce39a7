"""Scores of predictions against gold: entities, junk, topics and language (see the package
docstring for the definitions)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from podcast_assets.evaluation.gold import SPLITS, GoldEntity, GoldFile, match_key
from podcast_assets.extraction.surfaces import whole_words

OVERALL = "all"
TOPIC_SOURCES = frozenset({"taxonomy", "keyphrase"})

_WORD = re.compile(r"[^\W_]+(?:['\u2019.-][^\W_]+)*")


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


_EDGE_WORDS_EN = """
a an the this that these those my your his her its our their i you he she it we they me him us
them and or but so if of to in on at by for from with as than into about over via is are was were
be been am do did does has have had not no yes yeah yep okay ok oh um uh hmm hey hi well like just
also then now right really actually basically anyway thanks thank please sure cool wow what which
who where when why how there here
"""
# Per language, the function and discourse words that mark a span as glued to its neighbours;
# languages without a list fall back to English, the language most transcripts mix in.
EDGE_WORDS: Mapping[str, frozenset[str]] = {
    "en": _wordset(_EDGE_WORDS_EN),
    "es": _wordset(
        """
        el la los las un una unos unas lo al del de y e o u que en por con para pero sin se su sus
        mi tu es son fue era muy más ya pues bueno sí no entonces también como este esta ese esa
        eso aquí allí allá cuando donde
        """
    ),
    "de": _wordset(
        """
        der die das den dem des ein eine einen einem einer und oder aber in im am an auf aus bei
        mit von vom zu zum zur für über ist sind war ja nein nicht auch noch schon also genau halt
        eben so wie wo wenn dass daß da hier dann jetzt ich du er sie es wir ihr
        """
    ),
    "fr": _wordset(
        """
        le la les un une des du de d l et ou mais que qui en au aux dans par pour sur avec sans
        est sont était oui non alors bon donc ce cette ces je tu il elle on nous vous ils elles
        """
    ),
}


@dataclass(frozen=True, slots=True)
class Prediction:
    """What the extractor said about one transcript."""

    language: str | None
    entities: list[tuple[str, str | None]] = field(default_factory=list)
    topics: list[tuple[str, str]] = field(default_factory=list)
    # Whether statistical NER ran (a language without a pipeline gets gazetteer matches only)
    # and whether the taxonomy applied (it is English): files without either are left out of
    # the entity and topic totals, which would otherwise measure a design choice as misses.
    ner: bool = True
    taxonomy: bool = True
    # The transcript text the prediction read, for `written_capitalised` ("" if unknown).
    text: str = ""


@dataclass(frozen=True, slots=True)
class FileResult:
    file: str
    split: str
    language: str
    predicted_language: str | None
    gold_entities: int
    matched_entities: int
    correct_predictions: int
    false_positives: tuple[str, ...]
    junk: tuple[str, ...]
    acceptable_predictions: tuple[str, ...]
    missed: tuple[str, ...]
    split_entities: tuple[str, ...]  # gold names matched by 2+ distinct predicted names
    ner: bool
    taxonomy: bool
    label_agreements: int  # matched gold entities with the gold label on a matching name
    topic_agreement: bool
    taxonomy_topics: tuple[str, ...]
    off_domain_topics: tuple[str, ...]
    keyphrases: int
    # Gold entities the text writes with a capital somewhere (see `written_capitalised`).
    capitalised_entities: int = 0

    @property
    def language_correct(self) -> bool:
        return same_language(self.predicted_language, self.language)


@dataclass(frozen=True, slots=True)
class Totals:
    """Counts summed over a split's files, and the micro-averaged scores."""

    files: int
    ner_files: int
    taxonomy_files: int
    gold_entities: int
    matched_entities: int
    correct_predictions: int
    false_positives: int
    junk: int
    split_entities: int
    label_agreements: int
    topic_agreements: int
    off_domain_topics: int
    files_with_keyphrases: int
    languages_correct: int
    capitalised_entities: int = 0

    @property
    def precision(self) -> float | None:
        predicted = self.correct_predictions + self.false_positives
        return self.correct_predictions / predicted if predicted else None

    @property
    def recall(self) -> float | None:
        return self.matched_entities / self.gold_entities if self.gold_entities else None

    @property
    def f1(self) -> float | None:
        return f1_score(self.precision, self.recall)

    @property
    def capitalised_share(self) -> float | None:
        """The recall of a reader who finds every name written with a capital, and no other:
        what capitals and a small model can reach; the rest needs knowing the name."""
        return self.capitalised_entities / self.gold_entities if self.gold_entities else None


@dataclass(frozen=True, slots=True)
class EvalReport:
    files: tuple[FileResult, ...]
    totals: Mapping[str, Totals]  # keyed by split name and OVERALL


def same_language(predicted: str | None, gold: str) -> bool:
    """Primary subtags agree: "es" is right for gold "es-VE"."""
    if not predicted:
        return False
    return predicted.casefold().split("-")[0] == gold.casefold().split("-")[0]


def f1_score(precision: float | None, recall: float | None) -> float | None:
    if precision is None or recall is None:
        return None
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def is_junk(name: str, language: str) -> bool:
    """A false positive that is speech glued to a name, or no name at all (see module doc)."""
    words = _WORD.findall(name)
    if not any(w[0].isupper() for w in words):
        return True
    edge = EDGE_WORDS.get(language.casefold().split("-")[0], EDGE_WORDS["en"])
    return any(w.casefold() in edge and not _is_acronym(w) for w in (words[0], words[-1]))


def _is_acronym(word: str) -> bool:
    """ "US", "IT": capitals, so a name and not the pronoun or function word."""
    return len(word) > 1 and word.isupper()


def evaluate(
    gold: Sequence[GoldFile],
    predict: Callable[[Path], Prediction],
    topic_categories: Mapping[str, str | None] | None = None,
) -> EvalReport:
    """Run `predict` on every gold transcript and score it (see the module doc)."""
    results = tuple(score_file(g, predict(g.path), topic_categories or {}) for g in gold)
    totals = {split: totals_of([r for r in results if r.split == split]) for split in SPLITS}
    totals[OVERALL] = totals_of(list(results))
    return EvalReport(results, totals)


def score_file(
    gold: GoldFile, prediction: Prediction, topic_categories: Mapping[str, str | None]
) -> FileResult:
    """One file's entity, topic and language scores."""
    by_key = {key: i for i, entity in enumerate(gold.entities) for key in entity.keys}
    acceptable = {match_key(a) for a in gold.acceptable}
    names: dict[str, tuple[str, str | None]] = {}
    for name, label in prediction.entities:
        if (key := match_key(name)) and key not in names:
            names[key] = (name, label)
    matched: dict[int, list[tuple[str, str | None]]] = {}
    false_positives: list[str] = []
    accepted: list[str] = []
    for key, (name, label) in names.items():
        if key in by_key:
            matched.setdefault(by_key[key], []).append((name, label))
        elif key in acceptable:
            accepted.append(name)
        else:
            false_positives.append(name)
    if unknown := sorted({s for _, s in prediction.topics} - TOPIC_SOURCES):
        raise ValueError(f"{gold.path.name}: unknown topic sources {unknown}")
    taxonomy = [t for t, s in prediction.topics if s == "taxonomy"]
    expected = _topic_keys(gold.expected_topics)
    allowed = expected | _topic_keys(gold.acceptable_topics)
    return FileResult(
        file=gold.path.name,
        split=gold.split,
        language=gold.language,
        predicted_language=prediction.language,
        gold_entities=len(gold.entities),
        matched_entities=len(matched),
        correct_predictions=sum(len(v) for v in matched.values()),
        false_positives=tuple(false_positives),
        junk=tuple(n for n in false_positives if is_junk(n, gold.language)),
        acceptable_predictions=tuple(accepted),
        missed=tuple(e.name for i, e in enumerate(gold.entities) if i not in matched),
        split_entities=tuple(gold.entities[i].name for i, v in matched.items() if len(v) > 1),
        ner=prediction.ner,
        taxonomy=prediction.taxonomy,
        label_agreements=sum(
            any(label == gold.entities[i].label for _, label in found)
            for i, found in matched.items()
        ),
        topic_agreement=any(_topic_in(t, expected, topic_categories) for t in taxonomy),
        taxonomy_topics=tuple(taxonomy),
        off_domain_topics=tuple(t for t in taxonomy if not _topic_in(t, allowed, topic_categories)),
        keyphrases=sum(s == "keyphrase" for _, s in prediction.topics),
        capitalised_entities=sum(written_capitalised(e, prediction.text) for e in gold.entities),
    )


def written_capitalised(entity: GoldEntity, text: str) -> bool:
    """Whether `text` writes a form of `entity` (its name or a variant) that has a capital,
    as written, as whole words. A name only ever written in lower case ("type script", "the
    states") is found only by knowing it."""
    for form in (entity.name, *entity.variants):
        if form == form.lower():
            continue
        if re.search(whole_words(form), text):
            return True
    return False


def _topic_keys(names: Sequence[str]) -> frozenset[str]:
    return frozenset(match_key(n) for n in names)


def _topic_in(topic: str, keys: frozenset[str], categories: Mapping[str, str | None]) -> bool:
    category = categories.get(topic)
    return match_key(topic) in keys or (category is not None and match_key(category) in keys)


def totals_of(results: Sequence[FileResult]) -> Totals:
    """Entity counts over the files NER ran on, topic counts over those the taxonomy applied
    to; junk and language over every file (junk from a gazetteer-only file is still junk)."""
    ner = [r for r in results if r.ner]
    taxonomy = [r for r in results if r.taxonomy]
    return Totals(
        files=len(results),
        ner_files=len(ner),
        taxonomy_files=len(taxonomy),
        gold_entities=sum(r.gold_entities for r in ner),
        matched_entities=sum(r.matched_entities for r in ner),
        correct_predictions=sum(r.correct_predictions for r in ner),
        false_positives=sum(len(r.false_positives) for r in ner),
        junk=sum(len(r.junk) for r in results),
        split_entities=sum(len(r.split_entities) for r in ner),
        label_agreements=sum(r.label_agreements for r in ner),
        topic_agreements=sum(r.topic_agreement for r in taxonomy),
        off_domain_topics=sum(len(r.off_domain_topics) for r in taxonomy),
        files_with_keyphrases=sum(r.keyphrases > 0 for r in results),
        languages_correct=sum(r.language_correct for r in results),
        capitalised_entities=sum(r.capitalised_entities for r in ner),
    )
