"""`podcast-assets gazetteer`: grow the versioned gazetteer, with a review step."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from podcast_assets import settings, warehouse
from podcast_assets.console import warehouse_option


@click.group()
def gazetteer() -> None:
    """Grow the versioned gazetteer from the analyser's entity names, with a review step."""


@gazetteer.command("suggest")
@warehouse_option
@click.option(
    "--out",
    type=click.File("w"),
    default="-",
    show_default=True,
    help="Where to write the candidate entries (YAML).",
)
def gazetteer_suggest(warehouse_path: Path | None, out: Any) -> None:
    """Entities the analyser's LLM pass found that the gazetteer does not know yet."""
    import yaml

    from podcast_assets.extraction import suggest_gazetteer_entries

    target = settings.warehouse_path(warehouse_path)
    try:
        with warehouse.open_reader(target, settings.lock_timeout_s()) as con:
            names = con.execute(
                "SELECT surface, category FROM mentions WHERE source = 'analyzer_llm'"
            ).fetchall()
    except (warehouse.WarehouseMissingError, warehouse.WarehouseLockedError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    entries = suggest_gazetteer_entries(names)
    out.write(
        "# Review each entry: fill in `label` (PERSON, ORG, PRODUCT, ...), fix names, delete\n"
        "# what is not an entity; then: podcast-assets gazetteer merge THIS_FILE\n"
    )
    out.write(yaml.safe_dump({"entities": entries}, sort_keys=False, allow_unicode=True))
    click.echo(f"{len(entries)} candidate entries", err=True)


@gazetteer.command("merge")
@click.argument("reviewed", type=click.File("r"))
@click.option(
    "--gazetteer",
    "gazetteer_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Gazetteer YAML to update [the project's own].",
)
def gazetteer_merge(reviewed: Any, gazetteer_path: Path | None) -> None:
    """Merge REVIEWED entries into the gazetteer file (sorted, stable, ready to commit)."""
    import yaml

    from podcast_assets.extraction import merge_gazetteer_entries

    data = yaml.safe_load(reviewed) or {}
    entries = data.get("entities") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise click.UsageError("expected a YAML mapping with an `entities` list")
    try:
        path = merge_gazetteer_entries(entries, gazetteer_path)
    except ValueError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(
        f"merged {len(entries)} entries into {path}; extraction is now stale, so the next "
        "refresh re-extracts every partition"
    )
