"""The asset graph: episodes -> segments -> mentions / quotes / topics.

Two steps, each one op: `ingest` parses a file once and writes both of its tables;
`extract` runs spaCy once over a transcript and writes all three of its tables. The
domain modules (`steps.ingest`, `steps.extract`) do the work; this file only wires them to Dagster,
turns rejected files into failed partitions, and reports metadata.
"""

import contextlib
import gc
from collections.abc import Iterator, Mapping, Sequence
from typing import TypedDict

import dagster as dg
import duckdb

from podcast_assets import steps
from podcast_assets.defs.partitions import episode_partitions
from podcast_assets.defs.recovery import WRITER_POOL
from podcast_assets.defs.resources import RawFilesResource, SpacyResource, WarehouseResource
from podcast_assets.rawfiles import list_raw_files
from podcast_assets.schema import EPISODES, MENTIONS, QUOTES, SEGMENTS, TOPICS, Table

OWNERS = ["team:podcast-data"]
INGESTION_GROUP = "ingestion"
EXTRACTION_GROUP = "extraction"
# Below this many transcripts, starting spaCy worker processes costs more than it saves.
_MIN_TRANSCRIPTS_FOR_WORKERS = 4
_PREVIEW_ROWS = 5


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """Keep the run's own heap out of the garbage collector's way while a step works.

    A run over N partitions holds O(N) plan and event objects; every full collection
    rescans them, and forked extraction workers copy the pages whose refcounts change.
    Unfrozen afterwards, so nothing stays uncollectable.
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


# Both steps: one partition per raw file, many partitions per run (the spaCy pipeline loads
# once), and one op at a time in the `warehouse_writer` pool, since DuckDB has one writer.
class _StepSettings(TypedDict):
    partitions_def: dg.DynamicPartitionsDefinition
    backfill_policy: dg.BackfillPolicy
    pool: str


_STEP_SETTINGS = _StepSettings(
    partitions_def=episode_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WRITER_POOL,
)


def table_spec(
    table: Table,
    *,
    group: str,
    code_version: str,
    kinds: set[str],
    deps: Sequence[str] = (),
) -> dg.AssetSpec:
    """An asset per warehouse table, its description and column schema from `schema.py`."""
    return dg.AssetSpec(
        key=table.name,
        description=f"{table.grain}\n\n{table.description}",
        group_name=group,
        code_version=code_version,
        owners=OWNERS,
        kinds=kinds,
        deps=list(deps),
        tags={"layer": group},
        metadata={
            "dagster/column_schema": dg.TableSchema(
                columns=[
                    dg.TableColumn(
                        name=c.name,
                        type=c.type,
                        description=c.description,
                        constraints=dg.TableColumnConstraints(nullable=c.nullable),
                    )
                    for c in table.columns
                ]
            ),
            "dagster/table_name": f"warehouse.main.{table.name}",
        },
    )


@dg.multi_asset(
    name="ingest",
    specs=[
        table_spec(
            EPISODES,
            group=INGESTION_GROUP,
            code_version=steps.ingest.CODE_VERSION,
            kinds={"duckdb"},
        ),
        table_spec(
            SEGMENTS,
            group=INGESTION_GROUP,
            code_version=steps.ingest.CODE_VERSION,
            kinds={"duckdb"},
            deps=[EPISODES.name],
        ),
    ],
    **_STEP_SETTINGS,
)
def ingest(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    raw_files: RawFilesResource,
) -> Iterator[dg.MaterializeResult]:
    """Parse each raw file of the partitions and replace their `episodes`/`segments` rows."""
    keys = context.partition_keys
    paths, _ = list_raw_files(raw_files.directory)
    missing = [k for k in keys if k not in paths]
    with frozen_heap():
        report = steps.ingest.ingest_files(
            warehouse.file,
            [(k, paths[k]) for k in keys if k in paths],
            lock_timeout_s=warehouse.timeout,
        )
    problems = [r.reason for r in report.rejected] + [
        f"{k}: no file in {raw_files.directory} has this episode id any more" for k in missing
    ]
    if problems:
        # Good files of this run are written already; Dagster marks the whole run failed,
        # so say which files were the cause.
        raise dg.Failure(
            description="Rejected: " + "; ".join(problems),
            metadata={"rejected_files": dg.MetadataValue.json(problems)},
        )
    with warehouse.reader() as con:
        previews = {t.name: _preview(con, t, keys) for t in steps.ingest.TABLES}
    for table in steps.ingest.TABLES:
        yield dg.MaterializeResult(
            asset_key=table.name,
            metadata=_row_metadata(keys, report.rows[table.name], previews[table.name])
            | {"formats": dg.MetadataValue.json(report.formats)},
        )


@dg.multi_asset(
    name="extract",
    specs=[
        table_spec(
            t,
            group=EXTRACTION_GROUP,
            code_version=steps.extract.CODE_VERSION,
            kinds={"duckdb", "spacy"},
            deps=[SEGMENTS.name, EPISODES.name],
        )
        for t in (MENTIONS, QUOTES, TOPICS)
    ],
    **_STEP_SETTINGS,
)
def extract(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    nlp: SpacyResource,
) -> Iterator[dg.MaterializeResult]:
    """Run spaCy once over each transcript and load the analyser's data for enriched pages."""
    keys = context.partition_keys
    n_process = nlp.n_process if len(keys) >= _MIN_TRANSCRIPTS_FOR_WORKERS else 1
    with frozen_heap():
        report = steps.extract.extract_partitions(
            warehouse.file,
            keys,
            nlp.load(),
            n_process=n_process,
            batch_size=nlp.batch_size,
            lock_timeout_s=warehouse.timeout,
            on_progress=lambda done, total: context.log.info(f"extracted {done}/{total} episodes"),
        )
    if report.missing:
        raise dg.Failure(
            description="No `episodes` row for: "
            + ", ".join(report.missing)
            + " (materialize `episodes` for these partitions first)"
        )
    with warehouse.reader() as con:
        previews = {t.name: _preview(con, t, keys) for t in steps.extract.TABLES}
    words = dg.MetadataValue.int(report.words)
    yield dg.MaterializeResult(
        asset_key=MENTIONS.name,
        metadata=_row_metadata(keys, report.rows[MENTIONS.name], previews[MENTIONS.name])
        | {"top_entities": _top_table(report.top_entities, "entity"), "words": words},
    )
    yield dg.MaterializeResult(
        asset_key=QUOTES.name,
        metadata=_row_metadata(keys, report.rows[QUOTES.name], previews[QUOTES.name]),
    )
    yield dg.MaterializeResult(
        asset_key=TOPICS.name,
        metadata=_row_metadata(keys, report.rows[TOPICS.name], previews[TOPICS.name])
        | {"top_topics": _top_table(report.top_topics, "topic")},
    )


def _row_metadata(
    keys: Sequence[str], rows_written: int, preview: dg.MetadataValue
) -> dict[str, dg.MetadataValue]:
    metadata: dict[str, dg.MetadataValue] = {
        "rows_written_in_run": dg.MetadataValue.int(rows_written),
        "partitions_in_run": dg.MetadataValue.int(len(keys)),
        "preview": preview,
    }
    if len(keys) == 1:
        # Only a one-partition run knows the partition's own row count.
        metadata["dagster/row_count"] = dg.MetadataValue.int(rows_written)
    return metadata


def _preview(con: duckdb.DuckDBPyConnection, table: Table, keys: Sequence[str]) -> dg.MetadataValue:
    """The first rows of these partitions, as a table on the asset's page."""
    columns = [c for c in table.columns if c.type not in ("JSON",)][:8]
    rows = con.execute(
        f"SELECT {', '.join(c.name for c in columns)} FROM {table.name} "
        "WHERE list_contains(?, episode_id) LIMIT ?",
        [list(keys), _PREVIEW_ROWS],
    ).fetchall()
    return dg.MetadataValue.table(
        records=[
            dg.TableRecord({c.name: _cell(v) for c, v in zip(columns, row, strict=True)})
            for row in rows
        ],
        schema=dg.TableSchema(columns=[dg.TableColumn(name=c.name, type=c.type) for c in columns]),
    )


def _cell(value: object) -> str | int | float | bool | None:
    """A preview cell: numbers and booleans as they are, anything else as (short) text."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = str(value).replace("\n", " ")
    return text if len(text) <= 60 else text[:57] + "..."


def _top_table(counts: Mapping[str, int], label: str, n: int = 10) -> dg.MetadataValue:
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    return dg.MetadataValue.table(
        records=[dg.TableRecord({label: key, "count": count}) for key, count in top],
        schema=dg.TableSchema(
            columns=[dg.TableColumn(name=label, type="VARCHAR"), dg.TableColumn("count", "BIGINT")]
        ),
    )
