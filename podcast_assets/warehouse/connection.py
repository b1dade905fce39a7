"""Opening the warehouse: a DuckDB file (one writer or many readers, with bounded, audible
waits) or a DuckLake (many of both; a commit that conflicts with another writer's is retried)."""

from __future__ import annotations

import contextlib
import functools
import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import duckdb

from podcast_assets import settings
from podcast_assets.settings import WarehouseTarget
from podcast_assets.warehouse import lake
from podcast_assets.warehouse.ddl import ensure_schema

T = TypeVar("T")
P = ParamSpec("P")

DEFAULT_LOCK_TIMEOUT_S = float(settings.LOCK_TIMEOUT.default)
_MAX_RETRY_DELAY_S = 0.1
_LOCK_MARKERS = ("could not set lock", "conflicting lock")
_WAIT_NOTICE_EVERY_S = 5.0
_log = logging.getLogger("podcast_assets.warehouse")


class WarehouseLockedError(RuntimeError):
    """Another process held the warehouse longer than we were willing to wait."""


class WarehouseVersionError(RuntimeError):
    """The file was written by a newer DuckDB than the one this project pins."""


class WarehouseMissingError(FileNotFoundError):
    """A read was asked of a warehouse that no refresh has created yet."""


class WarehouseConflictError(RuntimeError):
    """Other writers of a lake kept committing to the same tables until we gave up."""


def display(target: WarehouseTarget) -> str:
    """How messages name the warehouse: the file, or the lake with its password masked."""
    return lake_location(target).display if is_lake(target) else str(target)


def lake_location(target: WarehouseTarget) -> lake.Lake:
    """A `ducklake:` target with its data path ($PODCAST_LAKE_DATA)."""
    return lake.parse(str(target), settings.lake_data())


def is_lake(target: WarehouseTarget) -> bool:
    return lake.is_lake(target)


def exists(target: WarehouseTarget) -> bool:
    """Whether a refresh has created the warehouse (for a lake: its catalog has our schema)."""
    if not is_lake(target):
        return Path(target).is_file()
    try:
        with open_reader(target):
            return True
    except (WarehouseMissingError, lake.LakeUnavailableError):
        return False


def _has_schema(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether a first refresh committed the schema: `schema_info` has its row (it is
    inserted in the transaction that creates every table, so a reader never sees half)."""
    (exists,) = con.execute(
        "SELECT count(*) > 0 FROM duckdb_tables() "
        "WHERE database_name = current_database() AND table_name = 'schema_info'"
    ).fetchall()[0]
    return bool(exists) and bool(con.execute("SELECT count(*) FROM schema_info").fetchall()[0][0])


@contextlib.contextmanager
def open_writer(
    path: WarehouseTarget, lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection with the schema in place, held only for the `with` block."""
    if is_lake(path):
        con = lake.connect(lake_location(path), read_only=False)
        try:
            # Every writer process may be the first: creating the schema can conflict too.
            retry_conflicts(lambda: ensure_schema(con), "creating the schema", lock_timeout_s)
            yield con
        finally:
            con.close()
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = _connect(str(path), read_only=False, lock_timeout_s=lock_timeout_s)
    try:
        ensure_schema(con)
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def open_reader(
    path: WarehouseTarget,
    lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S,
    *,
    config: Mapping[str, Any] | None = None,
    private: bool = False,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection: a stray DELETE fails instead of writing.

    `config` adds DuckDB settings at connect time (ad hoc queries lock external access off);
    `private` gives a lake reader an instance of its own, whose settings it may change.
    """
    if is_lake(path):
        where = lake_location(path)
        try:
            con = lake.connect(where, read_only=True, shared=not private)
        except lake.LakeUnavailableError as exc:
            if "not initialized" not in str(exc).lower() and "does not exist" not in str(exc):
                raise
            raise WarehouseMissingError(
                f"no warehouse in {where.display} yet: run `podcast-assets refresh` first"
            ) from exc
        try:
            if not _has_schema(con):
                raise WarehouseMissingError(
                    f"no warehouse in {where.display} yet: run `podcast-assets refresh` first"
                )
            yield con
        finally:
            con.close()
        return
    if not Path(path).exists():
        raise WarehouseMissingError(
            f"no warehouse at {path}: run `podcast-assets refresh` (or `make run`) first"
        )
    con = _connect(str(path), read_only=True, lock_timeout_s=lock_timeout_s, config=config)
    try:
        yield con
    finally:
        con.close()


def _connect(
    path: str,
    *,
    read_only: bool,
    lock_timeout_s: float,
    config: Mapping[str, Any] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Connect, retrying while another process holds the file's lock, up to `lock_timeout_s`.

    DuckDB fails at once on a held lock; the other side holds it for milliseconds, so short
    retries succeed where failing would turn every overlap of a reader and a writer into an error.
    """
    started = time.monotonic()
    deadline = started + lock_timeout_s
    next_notice = started + _WAIT_NOTICE_EVERY_S
    delay = 0.01
    while True:
        try:
            return duckdb.connect(path, read_only=read_only, config=dict(config or {}))
        except duckdb.IOException as exc:
            message = str(exc)
            if "newer version of duckdb" in message.lower():
                # DuckDB 2.x files (this project pinned 2.0.1 before it moved to 1.5.5 for its
                # extensions) cannot be read back; the warehouse is derived, so rebuild it.
                raise WarehouseVersionError(
                    f"{path} was written by a newer DuckDB than {duckdb.__version__}, which "
                    "this project uses. The warehouse is rebuilt from data/raw: move the file "
                    "aside and run `podcast-assets refresh` (see README, Upgrading)."
                ) from exc
            if not any(marker in message.lower() for marker in _LOCK_MARKERS):
                raise
            holder = message.split(". See also")[0]
            now = time.monotonic()
            if now + delay > deadline:
                mode = "read" if read_only else "write"
                raise WarehouseLockedError(
                    f"could not open {path} to {mode} within {lock_timeout_s:g}s because another "
                    f"process holds it ({holder}). Close that session "
                    "(a DuckDB CLI or notebook) or raise PODCAST_LOCK_TIMEOUT."
                ) from exc
            if now >= next_notice:
                # Never wait silently: whoever runs this sees what it waits for, and how long.
                _log.warning(
                    "waiting for %s, held by another process (%s): %.0f s of %g s",
                    path,
                    holder,
                    now - started,
                    lock_timeout_s,
                )
                next_notice = now + _WAIT_NOTICE_EVERY_S
            # Short, jittered waits: the other side holds the file for milliseconds, and a
            # fixed schedule would let a polling reader starve a writer (or the reverse).
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, _MAX_RETRY_DELAY_S)


_CONFLICT_MARKERS = ("transaction conflict", "conflict on", "write-write conflict")
_MAX_CONFLICT_DELAY_S = 2.0


def retry_conflicts(write: Callable[[], T], what: str, timeout_s: float) -> T:
    """Run `write` (one whole transaction), again after a commit conflict, for up to `timeout_s`.

    A lake detects conflicts per table, not per partition: two runs replacing different
    episodes' rows can collide, and the later commit fails having changed nothing. Redoing it
    is safe because `write` holds its own rows. Waits double from 50 ms up to 2 s, jittered so
    that colliding writers do not collide again in step; the file backend never conflicts.
    """
    started = time.monotonic()
    delay, attempts = 0.05, 1
    while True:
        try:
            return write()
        except duckdb.TransactionException as exc:
            if not any(marker in str(exc).lower() for marker in _CONFLICT_MARKERS):
                raise
            waited = time.monotonic() - started
            if waited + delay > timeout_s:
                raise WarehouseConflictError(
                    f"gave up {what} after {attempts} attempts in {waited:.1f} s: other writers "
                    f"kept committing to the same tables ({str(exc).splitlines()[-1]}). Run fewer "
                    "concurrent refreshes, or raise PODCAST_LOCK_TIMEOUT."
                ) from exc
            _log.info("commit conflict %s (attempt %d), retrying: %s", what, attempts, exc)
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay, attempts = min(delay * 2, _MAX_CONFLICT_DELAY_S), attempts + 1


def conflict_retried(what: str) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Make a write function (its own transaction, never called inside one) retry conflicts."""

    def decorate(write: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(write)
        def retried(*args: P.args, **kwargs: P.kwargs) -> T:
            return retry_conflicts(lambda: write(*args, **kwargs), what, settings.lock_timeout_s())

        return retried

    return decorate
