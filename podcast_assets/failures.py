"""What went wrong, in a sentence and an exit code a user (or a script) can act on.

A run's failure reaches the CLI as an exception class name and message (Dagster serializes
the error); a failure before or after the runs reaches it as an exception. Both are read by
the same rules here, so "disk full" means the same thing and the same exit code wherever it
happened. Pure: no Dagster, no DuckDB.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    """`podcast-assets` exit codes; the README's table is generated from these docs."""

    OK = 0
    REJECTED = 1  # some files were rejected; every other file was processed
    USAGE = 2  # bad command-line usage
    UNAVAILABLE = 3  # warehouse or Dagster instance locked, unwritable, full or corrupt
    INTERRUPTED = 4  # stopped by a signal (SIGTERM, SIGINT / Ctrl-C)
    FAILED = 5  # a run failed for another reason: a bug; see the run in the UI


EXIT_CODE_MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "every file was ingested and extracted (or nothing needed doing)",
    ExitCode.REJECTED: "some files were rejected (reasons printed and in `ingest_errors`); "
    "every other file was processed",
    ExitCode.USAGE: "usage error (bad option, missing raw directory, refused query)",
    ExitCode.UNAVAILABLE: "the warehouse or the Dagster instance could not be used: locked by "
    "another process past the timeout, disk full, read-only, or corrupt",
    ExitCode.INTERRUPTED: "stopped by SIGTERM or SIGINT; finished partitions are kept, the "
    "rest are redone by the next refresh",
    ExitCode.FAILED: "a run failed for another reason (a bug): the message names the run",
}


@dataclass(frozen=True, slots=True)
class Cause:
    """A failure's class: the exit code and the short name a summary line starts with."""

    exit_code: ExitCode
    kind: str
    advice: str = ""


INTERRUPTED = Cause(ExitCode.INTERRUPTED, "interrupted")
UNKNOWN = Cause(ExitCode.FAILED, "failed")
_DISK_FULL = Cause(ExitCode.UNAVAILABLE, "disk full", "free space; nothing was half-written")
_LOCKED = Cause(
    ExitCode.UNAVAILABLE,
    "warehouse locked",
    "close the other session, or raise PODCAST_LOCK_TIMEOUT",
)
_READ_ONLY = Cause(
    ExitCode.UNAVAILABLE, "read-only", "point --warehouse or DAGSTER_HOME at a writable place"
)
_DENIED = Cause(ExitCode.UNAVAILABLE, "permission denied", "check the owner and mode of the path")
_CORRUPT_WAREHOUSE = Cause(
    ExitCode.UNAVAILABLE,
    "corrupt warehouse",
    "move the file aside and refresh again: the warehouse is rebuilt from the raw files",
)
_CORRUPT_INSTANCE = Cause(
    ExitCode.UNAVAILABLE,
    "corrupt instance",
    "move $DAGSTER_HOME/.dagster aside to start a new run history (the warehouse is unaffected)",
)

# (lower-case fragment of a class name or message, cause); the first match wins, so the
# specific causes come before the general ones.
_RULES: tuple[tuple[str, Cause], ...] = (
    ("executioninterruptederror", INTERRUPTED),
    ("keyboardinterrupt", INTERRUPTED),
    ("no space left on device", _DISK_FULL),
    ("disk quota exceeded", _DISK_FULL),
    ("warehouselockederror", _LOCKED),
    (
        "warehouseversionerror",
        Cause(
            ExitCode.UNAVAILABLE,
            "warehouse written by a newer DuckDB",
            "move the file aside and refresh again: the warehouse is rebuilt from the raw files",
        ),
    ),
    ("conflicting lock", _LOCKED),
    (
        "warehouseconflicterror",
        Cause(
            ExitCode.UNAVAILABLE,
            "lake commit conflicts",
            "run fewer concurrent refreshes, or raise PODCAST_LOCK_TIMEOUT; refresh again to "
            "redo what was not written",
        ),
    ),
    (
        "lakeunavailableerror",
        Cause(
            ExitCode.UNAVAILABLE,
            "lake unavailable",
            "check that the lake's PostgreSQL catalog is up and PODCAST_WAREHOUSE points at it",
        ),
    ),
    ("poolbusyerror", Cause(ExitCode.UNAVAILABLE, "warehouse busy")),
    ("read-only file system", _READ_ONLY),
    ("permission denied", _DENIED),
    ("permissionerror", _DENIED),
    # SQLite (the Dagster instance) before DuckDB: both speak of "database" files.
    ("file is not a database", _CORRUPT_INSTANCE),
    ("database disk image is malformed", _CORRUPT_INSTANCE),
    ("sqlite3.databaseerror", _CORRUPT_INSTANCE),
    ("not a valid duckdb database", _CORRUPT_WAREHOUSE),
    ("could not read enough bytes", _CORRUPT_WAREHOUSE),
    ("corrupt", _CORRUPT_WAREHOUSE),
    ("checksum", _CORRUPT_WAREHOUSE),
    ("serializationexception", _CORRUPT_WAREHOUSE),
)


def classify(class_names: Sequence[str], message: str) -> Cause:
    """The cause named by an error chain's class names and message (or UNKNOWN)."""
    haystack = " ".join([*class_names, message]).lower()
    return next((cause for fragment, cause in _RULES if fragment in haystack), UNKNOWN)


def classify_exception(exc: BaseException) -> Cause:
    """`classify` over an exception and everything it was raised from."""
    chain = list(_chain(exc))
    return classify([type(e).__name__ for e in chain], " ".join(str(e) for e in chain))


def describe_exception(exc: BaseException) -> str:
    """The exception and the causes under it, most specific last, on one line."""
    parts: list[str] = []
    for error in _chain(exc):
        lines = str(error).strip().splitlines()
        text = lines[0].strip() if lines else type(error).__name__
        if not any(text in part for part in parts):
            parts.append(text)
    return "; caused by: ".join(parts)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
