"""What the CLI prints: result rows, search hits, and a failure as one line with its cause.

Shared by the commands in `cli`; exit codes are `failures.ExitCode`.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from podcast_assets import settings
from podcast_assets.failures import ExitCode, classify_exception, describe_exception
from podcast_assets.search import Hit

FORMATS = ("table", "csv", "json")
warehouse_option = click.option(
    "--warehouse",
    "warehouse_path",
    # Not a click.Path: a `ducklake:postgres:postgresql://...` target is not a file path.
    callback=lambda _ctx, _param, value: settings.warehouse_path(value) if value else None,
    default=None,
    help="DuckDB file, or ducklake:postgres:... [$PODCAST_WAREHOUSE or data/warehouse.duckdb].",
)


raw_dir_option = click.option(
    "--raw-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of raw podcast files [$PODCAST_RAW_DIR or data/raw].",
)


def fail(exc: BaseException, what: str) -> None:
    """One line naming the cause and an exit code by its class; the traceback on --debug."""
    if isinstance(exc, KeyboardInterrupt):
        _reraise_on_debug(exc)
        click.echo(
            f"interrupted: {what} stopped by a signal; partitions written so far are kept, "
            "the next refresh redoes the rest",
            err=True,
        )
        sys.exit(ExitCode.INTERRUPTED)
    sys.exit(explain(exc, what))


def explain(exc: BaseException, what: str) -> int:
    """Print the failure's cause and what to do (the traceback on --debug); its exit code.

    For a caller that goes on after a failure (`watch` tries again later)."""
    _reraise_on_debug(exc)
    cause = classify_exception(exc)
    advice = cause.advice or "run again with --debug for the traceback"
    click.echo(f"error: {what} failed: {cause.kind}: {describe_exception(exc)}", err=True)
    click.echo(f"  what to do: {advice}", err=True)
    return int(cause.exit_code)


def _reraise_on_debug(exc: BaseException) -> None:
    ctx = click.get_current_context(silent=True)
    if ctx and (ctx.find_root().obj or {}).get("debug"):
        raise exc


def print_rows(columns: list[str], rows: list[tuple[Any, ...]], fmt: str) -> None:
    if fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    elif fmt == "json":
        click.echo(
            json.dumps([dict(zip(columns, r, strict=True)) for r in rows], default=str, indent=2)
        )
    else:
        import pandas as pd

        # object dtype keeps integers as integers and NULL as NULL (no NaN, no 881.0).
        frame = pd.DataFrame(rows, columns=columns, dtype=object).fillna("NULL")
        with pd.option_context("display.max_colwidth", 80, "display.width", 200):
            click.echo(frame.to_string(index=False) if rows else f"({', '.join(columns)}: 0 rows)")


def print_hits(hits: Sequence[Hit], fmt: str) -> None:
    """Search hits: a block per hit to read, or one row per hit for csv and json."""
    if fmt != "table":
        columns = [f.name for f in dataclasses.fields(Hit)]
        print_rows(columns, [dataclasses.astuple(h) for h in hits], fmt)
        return
    if not hits:
        click.echo("no passage matches")
    for rank, hit in enumerate(hits, 1):
        where = " · ".join(
            str(x) for x in (hit.show_name, hit.title, hit.timestamp, hit.speaker) if x
        )
        click.echo(f"{rank}. {where or hit.episode_id}  [{hit.episode_id}, score {hit.score:.2f}]")
        click.echo(f"   {hit.snippet}")
        if hit.link:
            click.echo(f"   {hit.link}")
