"""The evaluation report, as a plain-text table and as JSON-ready data."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from podcast_assets.evaluation.scoring import EvalReport, FileResult, Totals, totals_of

_COLUMNS = (
    *("split", "file", "P", "R", "F1", "ok/fp/gold", "cap"),
    *("junk", "split", "topic", "off", "kp"),
)


def format_report(report: EvalReport) -> str:
    """A table per file, totals per split and overall, then what each file got wrong."""
    rows = [
        (
            r.split,
            r.file,
            *_scores(totals_of([r])),
            f"{r.correct_predictions}/{len(r.false_positives)}/{r.gold_entities}"
            + ("" if r.ner else " (no NER)"),
            f"{r.capitalised_entities}/{r.gold_entities}",
            str(len(r.junk)),
            str(len(r.split_entities)),
            ("yes" if r.topic_agreement else "no") if r.taxonomy else "n/a",
            str(len(r.off_domain_topics)),
            str(r.keyphrases),
            _language_cell(r),
        )
        for r in report.files
    ]
    for name, t in report.totals.items():
        rows.append(
            (
                name,
                f"TOTAL ({t.files} files, NER on {t.ner_files})",
                *_scores(t),
                f"{t.correct_predictions}/{t.false_positives}/{t.gold_entities}",
                f"{t.capitalised_entities}/{t.gold_entities}",
                str(t.junk),
                str(t.split_entities),
                f"{t.topic_agreements}/{t.taxonomy_files}",
                str(t.off_domain_topics),
                f"{t.files_with_keyphrases}/{t.files}",
                f"{t.languages_correct}/{t.files}",
            )
        )
    header = (*_COLUMNS, "lang")
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.insert(2 + len(report.files), "")
    lines += [
        "",
        "P/R/F1: entity precision, recall, F1 (micro); ok/fp/gold: correct predicted names, "
        "false positives, gold entities; cap: gold entities the text writes with a capital "
        "somewhere, what capitals and a small model can find (the rest only a reader who "
        "knows the name can); junk: false positives with a function word at an edge "
        "or no capitalised word; split: gold entities matched by 2+ names; topic: an expected "
        "topic predicted; off: predicted taxonomy topics outside expected+acceptable; kp: "
        "keyphrase topics.",
    ]
    for r in report.files:
        lines += _details(r)
    return "\n".join(lines) + "\n"


def _details(r: FileResult) -> list[str]:
    """What one file got wrong, a line per kind; nothing when it got nothing wrong."""
    details = [
        ("missed", r.missed),
        ("false positives", r.false_positives),
        ("junk", r.junk),
        ("split", r.split_entities),
        ("off-domain topics", r.off_domain_topics),
    ]
    if not any(values for _, values in details):
        return []
    return ["", f"{r.split}/{r.file}"] + [
        f"  {what}: {', '.join(values)}" for what, values in details if values
    ]


def _language_cell(r: FileResult) -> str:
    predicted = r.predicted_language or "-"
    return predicted if r.language_correct else f"{predicted} (want {r.language})"


def _scores(t: Totals) -> tuple[str, str, str]:
    return _pct(t.precision), _pct(t.recall), _pct(t.f1)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def report_as_dict(report: EvalReport) -> dict[str, Any]:
    """The report as JSON-ready data: per-file results and per-split totals with scores."""
    files = []
    for r in report.files:
        row: dict[str, Any] = {
            name: list(value) if isinstance(value, tuple) else value
            for name, value in ((f.name, getattr(r, f.name)) for f in fields(FileResult))
        }
        scores = totals_of([r])
        row.update(
            precision=scores.precision,
            recall=scores.recall,
            f1=scores.f1,
            language_correct=r.language_correct,
        )
        files.append(row)
    totals = {
        name: {
            **{f.name: getattr(t, f.name) for f in fields(Totals)},
            "precision": t.precision,
            "recall": t.recall,
            "f1": t.f1,
            "capitalised_share": t.capitalised_share,
        }
        for name, t in report.totals.items()
    }
    return {"files": files, "totals": totals}
