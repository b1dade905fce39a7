"""Failure classification: every cause a user can act on gets its own exit code and words."""

from __future__ import annotations

import duckdb
import pytest

from podcast_assets import warehouse
from podcast_assets.failures import (
    INTERRUPTED,
    UNKNOWN,
    ExitCode,
    classify,
    classify_exception,
    describe_exception,
)


@pytest.mark.parametrize(
    ("class_names", "message", "kind", "code"),
    [
        (["DagsterExecutionInterruptedError"], "", "interrupted", ExitCode.INTERRUPTED),
        (
            ["IOException"],
            'Could not write "w.duckdb.wal": No space left on device',
            "disk full",
            3,
        ),
        (["WarehouseLockedError"], "could not open w.duckdb to write", "warehouse locked", 3),
        (["IOException"], "Conflicting lock is held in python3 (PID 42)", "warehouse locked", 3),
        (["IOException"], "Cannot open file: Read-only file system", "read-only", 3),
        (["PermissionError"], "[Errno 13] Permission denied: 'x'", "permission denied", 3),
        (
            ["IOException"],
            "exists, but it is not a valid DuckDB database file!",
            "corrupt warehouse",
            3,
        ),
        (["IOException"], "Could not read enough bytes from file", "corrupt warehouse", 3),
        (
            ["DatabaseError"],
            "(sqlite3.DatabaseError) file is not a database",
            "corrupt instance",
            3,
        ),
        (["KeyError"], "'title'", "failed", ExitCode.FAILED),
    ],
)
def test_failures_classify_names_the_cause(class_names, message, kind, code):
    cause = classify(class_names, message)
    assert (cause.kind, cause.exit_code) == (kind, code)


def test_failures_an_unknown_error_is_a_failed_run_not_a_rejection():
    assert classify([], "") is UNKNOWN
    assert UNKNOWN.exit_code == ExitCode.FAILED != ExitCode.REJECTED


def test_failures_classify_exception_reads_the_whole_chain():
    try:
        try:
            raise OSError(28, "No space left on device")
        except OSError as inner:
            raise RuntimeError("flush failed") from inner
    except RuntimeError as outer:
        assert classify_exception(outer).kind == "disk full"
        assert describe_exception(outer) == (
            "flush failed; caused by: [Errno 28] No space left on device"
        )
    assert classify_exception(KeyboardInterrupt()) is INTERRUPTED


def test_failures_describe_exception_keeps_one_line_per_cause():
    exc = ValueError("first line\n[SQL: select 1]\n(background)")
    assert describe_exception(exc) == "first line"


def test_failures_a_failed_rollback_never_hides_the_real_error(tmp_path):
    """DuckDB often ends the transaction itself (a full disk): ROLLBACK then fails too."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    with pytest.raises(OSError, match="No space left on device"), warehouse.transaction(con):
        con.execute("CREATE TABLE t (x INT)")
        con.execute("COMMIT")  # the transaction is gone, as after a failed commit
        raise OSError(28, "No space left on device")
    con.close()
