"""Fixtures shared by every test layer: the sample files and the real spaCy pipeline."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

# The one `Definitions` object reads which settings are set when it is first imported (a set
# one becomes a `dg.EnvVar`). Import it now, before any test sets `PODCAST_*` variables for
# itself, so that no test's variables are baked into the resources another test resolves.
import podcast_assets.definitions  # noqa: F401  (imported for that side effect)

REPO = Path(__file__).resolve().parents[1]
SEEDS_DIR = REPO / "data" / "raw"

SEED_ENRICHED_886 = "000_bd597d44d42fa029.txt"
SEED_ENRICHED_881 = "001_d9628893f081d57c.txt"
SEED_PLAIN_881 = "002_8b2825759835b94d.txt"
SEED_TIMESTAMPED = "003_6dc2de23e6c008f7.txt"
# The four seed files: what the end-to-end tests refresh. `data/raw` also holds a small feed
# with a JSON and an HTML transcript of its show; `test_sample_data.py` refreshes all of it.
SEED_FILES = (SEED_ENRICHED_886, SEED_ENRICHED_881, SEED_PLAIN_881, SEED_TIMESTAMPED)
SEED_IDS = sorted(name.removesuffix(".txt") for name in SEED_FILES)
# Two short plain transcripts that spell one company two ways: extracted together they give
# `entity_aliases` a row ("Audio Boom" -> "Audioboom", method key); the seeds alone give none.
ALIAS_SPELLINGS = {
    "spelling-a.txt": "Welcome back to the show. Today we talk about podcast hosting companies "
    "and the news.\n\nAudioboom reported its results this week. Audioboom says its revenue "
    "grew by a third.\n\nAudioboom will sell more adverts next year, its chief executive said.\n",
    "spelling-b.txt": "Hello and welcome to another episode about the business of podcasting."
    "\n\nAudio Boom is a hosting company in London. We spoke about the advertising market."
    "\n\nThat was all for this week. Thanks for listening.\n",
}


def copy_seeds(raw: Path) -> None:
    """The four seed files into a new raw directory."""
    raw.mkdir(parents=True)
    for name in SEED_FILES:
        shutil.copyfile(SEEDS_DIR / name, raw / name)


# Fixtures that load the spaCy pipeline or run the pipeline through Dagster: a test that uses
# one (directly or through another fixture: `item.fixturenames` is the whole closure) is slow,
# whatever file it is in. `nlp` is below; `sample_db` (test_views), `refreshed` (test_reliability)
# and `baseline` (test_sensors) are built with `refreshed_seeds` or a Dagster run of the assets.
_HEAVY_FIXTURES = frozenset({"nlp", "refreshed", "sample_db", "baseline"})


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by mark
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs the spaCy pipeline as slow, so the fast lane stays fast."""
    for item in items:
        if _HEAVY_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


def _fast_lane(config: pytest.Config) -> bool:
    """Whether this session leaves the slow tests out (`-m "not slow"`, as `make test-fast`)."""
    return "not slow" in " ".join(str(config.getoption("markexpr", "") or "").split())


@pytest.fixture(scope="session", autouse=True)
def _fast_lane_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    """In the fast lane, loading spaCy or starting a process fails the test that does it.

    That is what keeps the lane honest: a new test that does either, or uses a fixture that
    does, must be marked slow. Session-scoped, so it is in place before any module fixture runs.
    Cheap: spaCy is imported by the test modules anyway; nothing is patched in other sessions.
    """
    if not _fast_lane(request.config):
        yield
        return
    import multiprocessing.process
    import subprocess

    import spacy

    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError(
            "the fast lane loads no spaCy pipeline and starts no process: mark this test slow"
        )

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(spacy, "load", refuse)
        patch.setattr(subprocess.Popen, "__init__", refuse)
        patch.setattr(multiprocessing.process.BaseProcess, "start", refuse)
        yield


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS_DIR


@pytest.fixture(scope="session")
def seed_text():
    def read(name: str) -> str:
        return (SEEDS_DIR / name).read_text(encoding="utf-8")

    return read


@pytest.fixture(scope="session")
def nlp():
    """The project's real spaCy pipeline, loaded once for the whole session."""
    from podcast_assets.extraction import load_pipeline

    return load_pipeline()


@contextlib.contextmanager
def refreshed_seeds(
    root: Path, extra_files: Mapping[str, bytes] | None = None
) -> Iterator[tuple[Path, Path, Any, Any]]:
    """(raw dir, warehouse, instance, summary): a copy of the seeds (plus `extra_files`)
    refreshed through Dagster into a new warehouse, with a temporary instance."""
    import dagster as dg

    from podcast_assets.definitions import defs
    from podcast_assets.runner import run_refresh

    raw = root / "raw"
    copy_seeds(raw)
    for name, data in (extra_files or {}).items():
        (raw / name).write_bytes(data)
    db = root / "warehouse.duckdb"
    (root / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(root / "dagster")) as instance:
        yield raw, db, instance, run_refresh(defs, raw, db, instance)


@pytest.fixture(scope="session")
def lake_server() -> Iterator[Any]:
    """One throwaway PostgreSQL for every lake test of the session (skipped without one)."""
    from podcast_assets_tests.postgres import postgres_or_skip

    with postgres_or_skip() as server:
        yield server


_lake_count = iter(range(1_000_000))


def new_database(server: Any, prefix: str = "db") -> str:
    """The URL of a new, empty database on the session's PostgreSQL server."""
    from podcast_assets_tests.postgres import create_database

    return create_database(server.url, f"{prefix}_{next(_lake_count)}")


def new_lake(server: Any, data_dir: Path) -> str:
    """A `ducklake:` target on a new, empty catalog database; its Parquet under `data_dir`.

    The data folder is `$PODCAST_LAKE_DATA`, which the caller sets (with monkeypatch).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"ducklake:postgres:{new_database(server, 'lake')}"


@pytest.fixture(params=["file", pytest.param("lake", marks=pytest.mark.slow)])
def warehouse_target(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """A new, empty warehouse of each backend: a DuckDB file, and a DuckLake on PostgreSQL.

    The lake case starts a PostgreSQL server (once per session), so it runs in the slow lane.
    """
    if request.param == "file":
        yield tmp_path / "w.duckdb"
        return
    from podcast_assets.warehouse import lake

    data = tmp_path / "lake"
    monkeypatch.setenv("PODCAST_LAKE_DATA", str(data))
    yield new_lake(request.getfixturevalue("lake_server"), data)
    lake.forget()


@pytest.fixture(scope="session")
def _empty_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse with the schema and nothing else, created once per session.

    Creating the schema is ~0.2 s of DuckDB catalog work (mostly its ~220 column comments);
    a test that only needs a warehouse to write into starts from a copy of this file instead,
    the very file `open_writer` would have created (its schema hash is current, so the copy
    is opened as is). Tests of schema creation itself create their own.
    """
    from podcast_assets import warehouse

    path = tmp_path_factory.mktemp("empty-warehouse") / "w.duckdb"
    with warehouse.open_writer(path):
        pass
    return path


@pytest.fixture
def new_warehouse(tmp_path: Path, _empty_warehouse: Path) -> Path:
    """A new, empty warehouse file of this test's own (`tmp_path / "w.duckdb"`)."""
    path = tmp_path / "w.duckdb"
    shutil.copyfile(_empty_warehouse, path)
    return path
