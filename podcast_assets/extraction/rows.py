"""The output of extraction: one `Extraction` per episode, rows keyed exactly as the warehouse.

Every row is built through `make_row`, which takes the column list from `schema`, so a row
can neither miss a column nor carry an extra one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from podcast_assets.schema import Table


@dataclass(frozen=True)
class Extraction:
    """Rows of the mentions, quotes and topics tables for one episode."""

    episode_id: str
    mentions: list[dict[str, Any]]
    quotes: list[dict[str, Any]]
    topics: list[dict[str, Any]]


def make_row(table: Table, **values: Any) -> dict[str, Any]:
    """A row in the table's column order; raises if the keys differ from the columns."""
    columns = table.column_names
    if set(values) != set(columns):
        missing = sorted(set(columns) - set(values))
        extra = sorted(set(values) - set(columns))
        raise KeyError(f"{table.name} row: missing {missing}, unexpected {extra}")
    return {c: values[c] for c in columns}


def opt_int(value: Any) -> int | None:
    """An int, or None for missing/unparseable values (YAML may give "12" or 12.0)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return round(float(value))
    except (TypeError, ValueError):
        return None


def opt_float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def opt_str(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def str_list(values: Any) -> list[str]:
    """A list of non-empty strings from a YAML list (or a single scalar)."""
    if values is None:
        return []
    items: Sequence[Any] = values if isinstance(values, list | tuple) else [values]
    return [s for s in (opt_str(v) for v in items) if s]
