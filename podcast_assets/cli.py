"""`podcast-assets`: refresh the warehouse through Dagster, and query it.

Exit codes are `podcast_assets.failures.ExitCode`: 0 ok, 1 files rejected (every other file
was processed), 2 usage, 3 warehouse or instance unavailable or corrupt, 4 interrupted,
5 a run failed for another reason. No traceback unless `--debug`.
"""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path
from typing import Any

import click

from podcast_assets import preflight, settings, warehouse
from podcast_assets.cli_gazetteer import gazetteer
from podcast_assets.console import (
    FORMATS,
    explain,
    fail,
    print_hits,
    print_rows,
    raw_dir_option,
    warehouse_option,
)
from podcast_assets.failures import ExitCode, classify_exception


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show the full traceback of an unexpected error.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Raw podcast files in data/raw -> a DuckDB warehouse, via Dagster assets."""
    ctx.obj = {"debug": debug}
    # SIGTERM (a service manager, `timeout`, `kill`) stops us the way Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    # Our own waits (a lock held by another process) report through logging: show them.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("podcast_assets")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


@main.command()
@raw_dir_option
@warehouse_option
@click.option(
    "--skip-search-index",
    is_flag=True,
    help="Leave the search index to the nightly schedule (a rebuild is whole: seconds per "
    "thousand episodes).",
)
def refresh(raw_dir: Path | None, warehouse_path: Path | None, skip_search_index: bool) -> None:
    """Ingest new or changed files, extract their entities, quotes and topics, and rebuild the
    search index if transcripts changed."""
    raw, target = _refresh_paths(raw_dir, warehouse_path)
    try:
        # Nothing changed: answered without importing Dagster or spaCy (seconds of imports).
        scanned, summary = preflight.check(
            raw, target, settings.lock_timeout_s(), search_index=not skip_search_index
        )
        if summary is None:
            from podcast_assets.definitions import defs
            from podcast_assets.runner import open_instance, run_refresh

            instance = open_instance(lambda line: click.echo(line, err=True))
            summary = run_refresh(
                defs,
                raw,
                target,
                instance,
                lock_timeout_s=settings.lock_timeout_s(),
                echo=click.echo,
                search_index=not skip_search_index,
                scanned=scanned,
            )
    except (Exception, KeyboardInterrupt) as exc:
        fail(exc, "refresh")
        return
    _finish(summary.lines(), summary.exit_code)


@main.command()
@raw_dir_option
@warehouse_option
@click.option("--skip-search-index", is_flag=True, help="As for `refresh`.")
@click.option(
    "--poll",
    "poll_s",
    type=click.FloatRange(min=0.1),
    default=None,
    help="Look for changes every SECONDS instead of waiting for the file system's events "
    "(network shares, some container mounts send none).",
)
def watch(
    raw_dir: Path | None, warehouse_path: Path | None, skip_search_index: bool, poll_s: float | None
) -> None:
    """Refresh now, then whenever the raw folder changes, from one warm process: Dagster and
    the models load once, not per refresh. Restarts itself when the project's code changes."""
    from podcast_assets import watching

    raw, target = _refresh_paths(raw_dir, warehouse_path)
    changes = watching.Changes(raw.resolve())
    observer = watching.start_observer(changes, poll_s=poll_s)
    try:
        refresh_once = watching.warm_refresh(
            raw, target, settings.lock_timeout_s(), not skip_search_index, explain, click.echo
        )
        outcome = watching.watch_loop(changes, refresh_once, click.echo)
    except KeyboardInterrupt:
        outcome = "stopped"
    except Exception as exc:  # the warehouse or the instance cannot be opened at all
        fail(exc, "watch")
        return
    finally:
        observer.stop()
    if outcome == "restart":
        click.echo("the project's code changed: starting again")
        watching.restart()
    click.echo(f"watch {outcome}")
    sys.exit(ExitCode.INTERRUPTED if outcome == "interrupted" else ExitCode.OK)


def _refresh_paths(
    raw_dir: Path | None, warehouse_path: Path | None
) -> tuple[Path, settings.WarehouseTarget]:
    raw = settings.raw_dir(raw_dir)
    target = settings.warehouse_path(warehouse_path)
    if not raw.is_dir():
        raise click.UsageError(f"raw directory {raw} does not exist")
    if isinstance(target, Path) and target.resolve().parent == raw.resolve():
        # Every refresh would read it as a podcast file (and `watch` would see each write).
        raise click.UsageError(f"the warehouse {target} is inside the raw directory {raw}")
    click.echo(f"refreshing {warehouse.display(target)} from {raw}")
    return raw, target


def _finish(lines: list[str], exit_code: int) -> None:
    for line in lines:
        click.echo(line)
    sys.exit(exit_code)


@main.command()
@click.argument("source")
@click.option(
    "--raw-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to save the feed and its transcripts [$PODCAST_RAW_DIR or data/raw].",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=None,
    help="Only the transcripts of the feed's first N items (newest first in most feeds).",
)
@click.option("--timeout", "timeout_s", type=float, default=30.0, show_default=True)
def fetch(source: str, raw_dir: Path | None, limit: int | None, timeout_s: float) -> None:
    """Save the RSS feed at SOURCE (a URL or a file) and every transcript it links.

    Files land in the raw directory, so the next refresh (or the sensor) ingests them, with
    the show's name, episode numbers, dates and people taken from the feed. Exit 1 when any
    download failed (each failure is one line); the others are saved all the same.
    """
    from podcast_assets.fetching import fetch as fetch_feed
    from podcast_assets.parsing import ParseError

    raw = settings.raw_dir(raw_dir)
    raw.mkdir(parents=True, exist_ok=True)
    try:
        report = fetch_feed(source, raw, limit=limit, timeout_s=timeout_s)
    except ParseError as exc:
        click.echo(f"not a usable feed: {exc}", err=True)
        sys.exit(ExitCode.REJECTED)
    except (Exception, KeyboardInterrupt) as exc:
        fail(exc, "fetch")
        return
    # Each failure was printed to stderr as it happened, one line each.
    click.echo(
        f"fetched into {raw}: {len(report.saved)} saved, {len(report.unchanged)} unchanged, "
        f"{len(report.failed)} failed"
    )
    if report.saved:
        click.echo("next: `podcast-assets refresh` (or the sensor, if `make ui` is running)")
    sys.exit(ExitCode.REJECTED if report.failed else ExitCode.OK)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve the UI on.")
@click.option("--port", default=3000, show_default=True, type=int, help="Port of the UI.")
@click.option(
    "-w",
    "--workspace",
    default="workspace.yaml",
    show_default=True,
    type=click.Path(dir_okay=False, exists=True),
    help="The Dagster workspace to load.",
)
def ui(host: str, port: int, workspace: str) -> None:
    """The Dagster UI and daemon (sensor, schedule, run queue) on this code location.

    What `dagster dev` runs, without its notice that `dg dev` supersedes it; Ctrl-C stops both.
    """
    from podcast_assets.devserver import serve

    click.echo(f"Dagster UI: http://{host}:{port} (Ctrl-C stops the UI and the daemon)", err=True)
    sys.exit(serve(workspace, host, port))


@main.command()
@click.argument("query", required=False)
@warehouse_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option(
    "--schema",
    "show_schema",
    is_flag=True,
    help="Print every table and view with its columns, types and comments.",
)
def sql(query: str | None, warehouse_path: Path | None, fmt: str, show_schema: bool) -> None:
    """Run one read-only QUERY on the warehouse and print the result.

    The connection can read the warehouse and nothing else: no writes, no other files, no
    settings, extensions or attached databases. Exports go through `podcast-assets export`.
    """
    import duckdb

    from podcast_assets.query import QueryRefused, open_query_connection, run_query

    if not query and not show_schema:
        raise click.UsageError("give a QUERY, or --schema")
    target = settings.warehouse_path(warehouse_path)
    try:
        with open_query_connection(target, settings.lock_timeout_s()) as con:
            if show_schema:
                columns = ["table", "column", "type", "comment"]
                rows: list[tuple[Any, ...]] = warehouse.describe(con)
            else:
                columns, rows = run_query(con, query or "")
    except QueryRefused as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(ExitCode.USAGE)
    except warehouse.WarehouseMissingError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(ExitCode.UNAVAILABLE)
    except duckdb.Error as exc:
        if classify_exception(exc).exit_code == ExitCode.UNAVAILABLE:
            fail(exc, "query")
        click.echo(f"error: {exc}", err=True)  # a typo, an unknown table: the query's fault
        sys.exit(ExitCode.REJECTED)
    except (Exception, KeyboardInterrupt) as exc:
        fail(exc, "query")
        return
    print_rows(columns, rows, fmt)


@main.command("search")
@click.argument("query")
@click.option("--show", help="Only shows whose name contains this (any case).")
@click.option("--speaker", help="Only passages said by a speaker whose name contains this.")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Only episodes published on or after this day (YYYY-MM-DD, UTC).",
)
@click.option("--limit", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@warehouse_option
def search_command(
    query: str,
    show: str | None,
    speaker: str | None,
    since: Any,
    limit: int,
    fmt: str,
    warehouse_path: Path | None,
) -> None:
    """Where was QUERY said: ranked passages with show, episode, time, speaker and a link."""
    from podcast_assets import search

    target = settings.warehouse_path(warehouse_path)
    try:
        with warehouse.open_reader(target, settings.lock_timeout_s()) as con:
            stale = search.stale_ids(con)
            if stale is None:
                raise search.SearchUnavailableError(
                    f"{warehouse.display(target)} has no search index yet: run "
                    "`podcast-assets refresh` (or materialize `search_passages` in the Dagster UI)"
                )
            day = since.date() if since else None
            hits = search.search(
                con, query, show=show, speaker=speaker, since=day, limit=limit, stale=stale
            )
    except (search.SearchUnavailableError, warehouse.WarehouseMissingError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(ExitCode.UNAVAILABLE)
    except (Exception, KeyboardInterrupt) as exc:
        fail(exc, "search")
        return
    if stale:
        click.echo(
            f"note: {len(stale)} transcript(s) changed since the index was built were searched "
            "without it (slower per query); the nightly schedule rebuilds it",
            err=True,
        )
    print_hits(hits, fmt)


@main.command("export")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["parquet"]),
    default="parquet",
    show_default=True,
    help="Output format.",
)
@warehouse_option
def export(out_dir: Path, fmt: str, warehouse_path: Path | None) -> None:
    """Write every table to OUT_DIR as hive-partitioned Parquet (replaces a previous export)."""
    import duckdb

    from podcast_assets.export import ExportError, export_parquet

    target = settings.warehouse_path(warehouse_path)
    try:
        counts = export_parquet(target, out_dir, lock_timeout_s=settings.lock_timeout_s())
    except (
        OSError,
        ExportError,
        warehouse.WarehouseLockedError,
        duckdb.Error,
    ) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    for name, rows in counts.items():
        click.echo(f"{name}: {rows} rows")
    click.echo(f"exported {sum(counts.values())} rows of {len(counts)} tables to {out_dir} ({fmt})")


@main.command("eval")
@click.argument(
    "gold_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=Path("eval/gold"),
)
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the report as JSON here.")  # fmt: skip
def evaluate_gold(gold_dir: Path, json_out: Path | None) -> None:
    """Score extraction against the hand-annotated gold in GOLD_DIR (dev/ and heldout/):
    entity precision, recall, junk and unmerged spellings, topics, language."""
    import json

    from podcast_assets.evaluation import (
        GoldError,
        evaluate,
        format_report,
        load_gold,
        report_as_dict,
    )
    from podcast_assets.evaluation.predict import pipeline_predictor
    from podcast_assets.extraction.topics import topic_categories

    try:
        gold = load_gold(gold_dir)
    except GoldError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(ExitCode.REJECTED)
    report = evaluate(gold, pipeline_predictor(), topic_categories=topic_categories())
    click.echo(format_report(report))
    if json_out:
        json_out.write_text(json.dumps(report_as_dict(report), indent=2) + "\n")


main.add_command(gazetteer)


if __name__ == "__main__":
    main()
