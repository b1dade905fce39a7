"""The asset graph: shows / feed_items -> episodes -> segments -> mentions / quotes / topics,
and segments -> search_index.

Two steps, each one op: `ingest` parses a file once and writes its tables (an episode's
`episodes` and `segments`, or a feed's `shows` and `feed_items`);
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
from dagster._core.execution.context.metadata_logging import (
    AssetMetadataHandle,
    OutputMetadataAccumulator,
)

from podcast_assets import steps
from podcast_assets.defs.checks import check_specs, run_checks
from podcast_assets.defs.partitions import episode_partitions
from podcast_assets.defs.recovery import WRITER_POOL
from podcast_assets.defs.resources import RawFilesResource, SpacyResource, WarehouseResource
from podcast_assets.rawfiles import list_raw_files
from podcast_assets.schema import (
    EPISODES,
    FEED_ITEMS,
    MENTIONS,
    SEGMENTS,
    SHOWS,
    TOPICS,
    Table,
)
from podcast_assets.search_index import INDEX_VERSION, SEARCH_PASSAGES, build_search_index

OWNERS = ["team:podcast-data"]
INGESTION_GROUP = "ingestion"
EXTRACTION_GROUP = "extraction"
SEARCH_GROUP = "search"
# Below this many transcripts, starting spaCy worker processes costs more than it saves.
_MIN_TRANSCRIPTS_FOR_WORKERS = 4
_PREVIEW_ROWS = 5
# Past this many partitions in one run (a backfill), partitions get row counts but no preview:
# the previews would dwarf the run's event log.
_MAX_PREVIEWED_PARTITIONS = 200


@contextlib.contextmanager
def frozen_heap(partitions: int) -> Iterator[None]:
    """Keep the run's own heap out of the garbage collector's way while a step works.

    A run over N partitions holds O(N) plan and event objects; every full collection
    rescans them, and forked extraction workers copy the pages whose refcounts change.
    Unfrozen afterwards, so nothing stays uncollectable. Not for a few partitions: no
    workers, a small heap, and the collection before freezing costs ~0.2 s in a process
    that holds the models (a warm `watch`).
    """
    if partitions < _MIN_TRANSCRIPTS_FOR_WORKERS:
        yield
        return
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
    """An asset per warehouse table, its description and column schema from `schema`."""
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
            SHOWS,
            group=INGESTION_GROUP,
            code_version=steps.ingest.CODE_VERSION,
            kinds={"duckdb"},
        ),
        table_spec(
            FEED_ITEMS,
            group=INGESTION_GROUP,
            code_version=steps.ingest.CODE_VERSION,
            kinds={"duckdb"},
            deps=[SHOWS.name],
        ),
        table_spec(
            EPISODES,
            group=INGESTION_GROUP,
            code_version=steps.ingest.CODE_VERSION,
            kinds={"duckdb"},
            deps=[FEED_ITEMS.name],
        ),
        table_spec(
            SEGMENTS,
            group=INGESTION_GROUP,
            code_version=steps.ingest.CODE_VERSION,
            kinds={"duckdb"},
            deps=[EPISODES.name],
        ),
    ],
    check_specs=check_specs(steps.ingest.TABLES),
    **_STEP_SETTINGS,
)
def ingest(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    raw_files: RawFilesResource,
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Parse each raw file of the partitions and replace its rows (episode or feed tables)."""
    keys = context.partition_keys
    paths, _ = list_raw_files(raw_files.directory)
    missing = [k for k in keys if k not in paths]
    with frozen_heap(len(keys)):
        report = steps.ingest.ingest_files(
            warehouse.file,
            [(k, paths[k]) for k in keys if k in paths],
            lock_timeout_s=warehouse.timeout,
        )
    for warning in report.warnings:
        context.log.warning(warning)
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
    formats: dict[str, dg.MetadataValue] = {"formats": dg.MetadataValue.json(report.formats)}
    with warehouse.reader() as con:
        _add_partition_metadata(context, con, steps.ingest.TABLES, keys)
        for table in steps.ingest.TABLES:
            yield dg.MaterializeResult(
                asset_key=table.name,
                metadata=_run_metadata(keys, report.rows[table.name]) | formats,
            )
        yield from run_checks(con, steps.ingest.TABLES)


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
        for t in steps.extract.TABLES
    ],
    check_specs=check_specs(steps.extract.TABLES),
    **_STEP_SETTINGS,
)
def extract(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    nlp: SpacyResource,
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Run spaCy once over each transcript and load the analyser's data for enriched pages."""
    keys = context.partition_keys
    n_process = nlp.n_process if len(keys) >= _MIN_TRANSCRIPTS_FOR_WORKERS else 1
    with frozen_heap(len(keys)):
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
    extra = {
        MENTIONS.name: {
            "top_entities": _top_table(report.top_entities, "entity"),
            "words": dg.MetadataValue.int(report.words),
            # Rebuilt from every mention with the run's last batch (see `entity_aliases`).
            "entity_aliases": dg.MetadataValue.int(report.aliases),
        },
        TOPICS.name: {"top_topics": _top_table(report.top_topics, "topic")},
    }
    with warehouse.reader() as con:
        _add_partition_metadata(context, con, steps.extract.TABLES, keys)
        for table in steps.extract.TABLES:
            yield dg.MaterializeResult(
                asset_key=table.name,
                metadata=_run_metadata(keys, report.rows[table.name]) | extra.get(table.name, {}),
            )
        yield from run_checks(con, steps.extract.TABLES)


@dg.multi_asset(
    name="search_index",
    specs=[
        table_spec(
            SEARCH_PASSAGES,
            group=SEARCH_GROUP,
            code_version=INDEX_VERSION,
            kinds={"duckdb"},
            deps=[SEGMENTS.name, EPISODES.name, FEED_ITEMS.name],
        ).replace_attributes(key="search_index")  # the index, whose rows are search_passages
    ],
    pool=WRITER_POOL,
)
def search_index(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Rebuild the BM25 passages index over every transcript of record, in one transaction.

    Not partitioned: an fts index is built whole (seconds per thousand episodes), so it runs
    after a refresh and nightly, not once per file (`podcast-assets search` says when stale).
    """
    with warehouse.writer() as con:
        built = build_search_index(con)
    context.log.info(
        f"indexed {built.passages} passages of {built.episodes} episodes in {built.seconds:.1f} s"
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(built.passages),
            "episodes": dg.MetadataValue.int(built.episodes),
            "english_passages": dg.MetadataValue.int(built.english_passages),
            "build_seconds": dg.MetadataValue.float(built.seconds),
            "index_bytes": dg.MetadataValue.int(built.size_bytes or 0),
        }
    )


def _run_metadata(keys: Sequence[str], rows_written: int) -> dict[str, dg.MetadataValue]:
    """What the run did to a table: on every partition's event, next to the partition's own."""
    return {
        "rows_written_in_run": dg.MetadataValue.int(rows_written),
        "partitions_in_run": dg.MetadataValue.int(len(keys)),
    }


def _add_partition_metadata(
    context: dg.AssetExecutionContext,
    con: duckdb.DuckDBPyConnection,
    tables: Sequence[Table],
    keys: Sequence[str],
) -> None:
    """Each partition's own row count and first rows, on that partition's materialization."""
    for table in tables:
        counts = dict(
            con.execute(
                f"SELECT {table.key}, count(*) FROM {table.name} "
                f"WHERE list_contains(?, {table.key}) GROUP BY 1",
                [list(keys)],
            ).fetchall()
        )
        previews = _previews(con, table, keys) if len(keys) <= _MAX_PREVIEWED_PARTITIONS else {}
        by_partition: dict[str, dict[str, dg.MetadataValue]] = {}
        for key in keys:
            by_partition[key] = {"dagster/row_count": dg.MetadataValue.int(counts.get(key, 0))}
            if key in previews:
                by_partition[key]["preview"] = previews[key]
        add_metadata_by_partition(context, table.name, by_partition)


def add_metadata_by_partition(
    context: dg.AssetExecutionContext,
    asset_key: str,
    by_partition: Mapping[str, Mapping[str, dg.MetadataValue]],
) -> None:
    """`context.add_asset_metadata(partition_key=...)` for many partitions, checked once.

    Dagster's method reloads every dynamic partition from the instance to check the one key it
    is given (~9 ms a call: ~90 s of a 1,000-episode refresh, a call per table and episode),
    and copies all the metadata so far on every call. Here the keys are checked once against the
    run's own and added in one step to the accumulator that method adds to (pinned Dagster);
    should that accumulator change shape, the public call is used.
    """
    targeted = set(context.partition_keys)
    stray = sorted(set(by_partition) - targeted)
    if stray:
        raise dg.DagsterInvariantViolationError(
            f"metadata for partitions this run does not target: {', '.join(stray[:5])}"
        )
    asset = dg.AssetKey(asset_key)
    if asset not in context.assets_def.keys:
        raise dg.DagsterInvariantViolationError(f"{asset_key} is not materialized by this step")
    step = getattr(context.op_execution_context, "_step_execution_context", None)
    accumulator = getattr(step, "_metadata_accumulator", None)
    if not isinstance(accumulator, OutputMetadataAccumulator):
        for key, metadata in by_partition.items():
            context.add_asset_metadata(metadata, asset_key=asset_key, partition_key=key)
        return
    merged = dict(accumulator.per_output_metadata)
    for key, metadata in by_partition.items():
        handle = AssetMetadataHandle(asset_key=asset, partition_key=key)
        merged[handle] = {**merged.get(handle, {}), **metadata}
    step._metadata_accumulator = OutputMetadataAccumulator(  # type: ignore[union-attr]
        per_output_metadata=merged
    )


def _previews(
    con: duckdb.DuckDBPyConnection, table: Table, keys: Sequence[str]
) -> dict[str, dg.MetadataValue]:
    """The first rows of each partition, as a table on the partition's page."""
    columns = [c for c in table.columns if c.type not in ("JSON",)][:8]
    rows = con.execute(
        f"SELECT {table.key}, {', '.join(c.name for c in columns)} FROM {table.name} "
        f"WHERE list_contains(?, {table.key}) "
        f"QUALIFY row_number() OVER (PARTITION BY {table.key}) <= ?",
        [list(keys), _PREVIEW_ROWS],
    ).fetchall()
    records: dict[str, list[dg.TableRecord]] = {}
    for key, *values in rows:
        records.setdefault(key, []).append(
            dg.TableRecord({c.name: _cell(v) for c, v in zip(columns, values, strict=True)})
        )
    schema = dg.TableSchema(columns=[dg.TableColumn(name=c.name, type=c.type) for c in columns])
    return {key: dg.MetadataValue.table(records=r, schema=schema) for key, r in records.items()}


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
