"""Jobs: the partitioned graph, extraction alone (for when only its logic changed), and the
search index (whole, not partitioned).

They run their steps in the run's own process: the two refresh steps run one after the
other anyway (`extract` needs `ingest`'s rows, and one writer at a time holds the warehouse),
so a process per step would only add Dagster's start-up cost, twice per run. Extraction still
forks its own spaCy workers for big runs. Partitions are the assets' (`episodes`), which
Dagster infers from the selection.
"""

from __future__ import annotations

import dagster as dg

from podcast_assets.defs.assets import EXTRACTION_GROUP, INGESTION_GROUP, search_index

refresh_job = dg.define_asset_job(
    name="refresh_job",
    selection=dg.AssetSelection.groups(INGESTION_GROUP, EXTRACTION_GROUP),
    description="Ingest and extract the selected episode partitions (the main job).",
    executor_def=dg.in_process_executor,
)

extract_job = dg.define_asset_job(
    name="extract_job",
    selection=dg.AssetSelection.groups(EXTRACTION_GROUP),
    description="Re-run extraction only, e.g. after the gazetteer or taxonomy changed.",
    executor_def=dg.in_process_executor,
)

search_index_job = dg.define_asset_job(
    name="search_index_job",
    selection=dg.AssetSelection.assets(search_index),
    description="Rebuild the full-text search index (after a refresh, and nightly).",
    executor_def=dg.in_process_executor,
)
