"""The code versions of the two steps, importable without Dagster or spaCy.

A partition is redone when the version it was written at differs from today's: the refresh
compares them before it imports anything heavy, so a refresh with nothing to do stays cheap.
"""

from __future__ import annotations

import hashlib
from importlib import resources

from podcast_assets.parsing import PARSER_VERSION

# Bump when extraction logic changes the rows it writes; the data files' hashes are appended.
EXTRACTION_LOGIC_VERSION = "7"


def _data_hash(name: str) -> str:
    data = resources.files("podcast_assets").joinpath("data", name).read_bytes()
    return hashlib.sha256(data).hexdigest()[:8]


INGEST_VERSION = PARSER_VERSION
# Editing gazetteer.yaml or taxonomy.yaml changes it, which marks every extracted partition
# stale (it is also the Dagster code_version of the extract step).
EXTRACT_VERSION = (
    f"{EXTRACTION_LOGIC_VERSION}+g{_data_hash('gazetteer.yaml')}+t{_data_hash('taxonomy.yaml')}"
)
