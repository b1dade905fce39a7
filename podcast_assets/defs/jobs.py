"""Jobs: the whole graph, and extraction alone (for when only its logic changed)."""

from __future__ import annotations

import dagster as dg

from podcast_assets.defs.assets import EXTRACTION_GROUP
from podcast_assets.defs.partitions import episode_partitions

refresh_job = dg.define_asset_job(
    name="refresh_job",
    selection=dg.AssetSelection.all(),
    partitions_def=episode_partitions,
    description="Ingest and extract the selected episode partitions (the main job).",
)

extract_job = dg.define_asset_job(
    name="extract_job",
    selection=dg.AssetSelection.groups(EXTRACTION_GROUP),
    partitions_def=episode_partitions,
    description="Re-run extraction only, e.g. after the gazetteer or taxonomy changed.",
)
