"""The one `Definitions` object: every asset, check, job, sensor, schedule and resource."""

from __future__ import annotations

import warnings

import dagster as dg

from podcast_assets.defs.assets import extract, ingest, search_index
from podcast_assets.defs.jobs import extract_job, refresh_job, search_index_job
from podcast_assets.defs.maintenance import prune_job, warehouse_upkeep_job
from podcast_assets.defs.resources import default_resources
from podcast_assets.defs.schedules import (
    nightly_refresh_schedule,
    nightly_search_index_schedule,
    nightly_upkeep_schedule,
)
from podcast_assets.defs.sensors import raw_files_sensor

# Dagster re-creates each sensor while resolving definitions and passes `owners=[]` (the
# sensor has none), which its own beta check reports on every load; nothing of ours is beta.
warnings.filterwarnings(
    "ignore", message="Parameter `owners` of initializer `SensorDefinition", category=dg.BetaWarning
)

defs = dg.Definitions(
    assets=[ingest, extract, search_index],
    jobs=[refresh_job, extract_job, search_index_job, prune_job, warehouse_upkeep_job],
    sensors=[raw_files_sensor],
    schedules=[nightly_refresh_schedule, nightly_search_index_schedule, nightly_upkeep_schedule],
    resources=default_resources(),
    # Steps run in the run's own process (see defs/jobs.py); this covers the UI's ad hoc
    # "Materialize" runs too, which use the implicit asset job.
    executor=dg.in_process_executor,
)
