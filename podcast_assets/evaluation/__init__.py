"""Extraction quality against hand-annotated gold transcripts (`eval/gold/`).

The gold is kept apart from everything that tunes the extractor (gazetteer, taxonomy, rules), so
the scores are not circular: `dev/` may be looked at while improving rules, `heldout/` must not
be. `eval/gold/README.md` documents the annotation guidelines; this module documents the metrics.

Entities: a predicted entity (a distinct `mentions.entity` value) matches a gold entity when
their keys are equal (`match_key`: casefold, no accents, no possessive, no spaces or
punctuation), against the gold name or any of its variants. Predicted names with one key count
once. A predicted name that matches no gold entity but one of the file's `acceptable` names is
neither right nor wrong; any other is a false positive. Precision = correct predicted names /
(correct + false positives); recall = gold entities matched / gold entities. Split and overall
scores are micro averages (counts summed over files). Labels are reported, never required.

A false positive is junk when its first or last word is a function or discourse word of the
file's language ("So Travis", "Chelsea Yeah", "el Ávila") or when no word of it starts with a
capital letter ("node", "2016"): the two kinds of noise that speech glues onto names.

Topics: a file agrees when at least one predicted taxonomy topic is among its expected topics;
predicted taxonomy topics outside expected + acceptable are off-domain. A gold topic may also be
a taxonomy category: with `topic_categories` (topic name -> category) a predicted topic counts
under its category's name too.
"""

from podcast_assets.evaluation.gold import GoldEntity, GoldError, GoldFile, load_gold, match_key
from podcast_assets.evaluation.report import format_report, report_as_dict
from podcast_assets.evaluation.scoring import (
    OVERALL,
    EvalReport,
    FileResult,
    Prediction,
    Totals,
    evaluate,
    f1_score,
    is_junk,
    same_language,
    score_file,
)

__all__ = [
    "OVERALL",
    "EvalReport",
    "FileResult",
    "GoldEntity",
    "GoldError",
    "GoldFile",
    "Prediction",
    "Totals",
    "evaluate",
    "f1_score",
    "format_report",
    "is_junk",
    "load_gold",
    "match_key",
    "report_as_dict",
    "same_language",
    "score_file",
]
