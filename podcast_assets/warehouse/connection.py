"""Opening the warehouse file: one writer or many readers, with bounded, audible waits."""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb

from podcast_assets import settings
from podcast_assets.warehouse.ddl import ensure_schema

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


@contextlib.contextmanager
def open_writer(
    path: str | Path, lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection with the schema in place, held only for the `with` block."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = _connect(str(path), read_only=False, lock_timeout_s=lock_timeout_s)
    try:
        ensure_schema(con)
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def open_reader(
    path: str | Path,
    lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S,
    *,
    config: Mapping[str, Any] | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection: a stray DELETE fails instead of writing.

    `config` adds DuckDB settings at connect time (ad hoc queries lock external access off).
    """
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
