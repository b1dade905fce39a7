"""One dynamic partition per raw file, keyed by `episode_id`."""

from __future__ import annotations

import dagster as dg

EPISODE_PARTITIONS_NAME = "episodes"

episode_partitions = dg.DynamicPartitionsDefinition(name=EPISODE_PARTITIONS_NAME)
