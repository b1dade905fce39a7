"""The one `Definitions` object: every asset, check, job, sensor, schedule and resource."""

from __future__ import annotations

import dagster as dg

from podcast_assets.defs.assets import extract, ingest
from podcast_assets.defs.checks import CHECKS
from podcast_assets.defs.jobs import extract_job, refresh_job
from podcast_assets.defs.resources import default_resources

defs = dg.Definitions(
    assets=[ingest, extract],
    asset_checks=CHECKS,
    jobs=[refresh_job, extract_job],
    resources=default_resources(),
)
