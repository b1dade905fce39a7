"""The one Definitions object: it loads, and its graph matches a reviewed snapshot.

A change to an asset, dependency, group, kind, code version, partitioning, job, schedule,
sensor or check shows up here as a diff to approve. A code version is part of the graph on
purpose: bumping it (or editing the gazetteer or taxonomy, which are hashed into the extract
version) re-materializes every partition, which a reviewer should see.
"""

from __future__ import annotations

import re

import dagster as dg

from podcast_assets import search_index, steps
from podcast_assets.definitions import defs
from podcast_assets.settings import SCHEDULE_TZ

from .conftest import REPO

EXTRACT_VERSION = "7+g8d4f30b0+t496bb9e2"
CHECKS = {
    "feed_items": ["feed_items_are_unique"],
    "episodes": ["episode_ids_are_unique", "keys_are_not_null"],
    "segments": ["segment_times_are_ordered", "segments_are_contiguous"],
    "mentions": [
        "mention_keys_are_not_null",
        "mention_offsets_are_inside_the_transcript",
        "mentions_are_unique",
        "recurring_organisations_are_in_gazetteer",
    ],
    "quotes": [
        "quote_keys_are_not_null",
        "quote_scores_are_1_to_10",
        "quote_times_are_ordered",
        "quotes_are_unique",
    ],
    "topics": ["topic_keys_are_not_null", "topic_prominence_is_0_to_1", "topics_are_unique"],
}
EXPECTED = {
    "assets": {
        "shows": {
            "deps": [],
            "group": "ingestion",
            "kinds": ["duckdb"],
            "code_version": "5",
            "partitions": "episodes",
            "checks": [],
        },
        "feed_items": {
            "deps": ["shows"],
            "group": "ingestion",
            "kinds": ["duckdb"],
            "code_version": "5",
            "partitions": "episodes",
            "checks": CHECKS["feed_items"],
        },
        "episodes": {
            "deps": ["feed_items"],
            "group": "ingestion",
            "kinds": ["duckdb"],
            "code_version": "5",
            "partitions": "episodes",
            "checks": CHECKS["episodes"],
        },
        "segments": {
            "deps": ["episodes"],
            "group": "ingestion",
            "kinds": ["duckdb"],
            "code_version": "5",
            "partitions": "episodes",
            "checks": CHECKS["segments"],
        },
        **{
            name: {
                "deps": ["episodes", "segments"],
                "group": "extraction",
                "kinds": ["duckdb", "spacy"],
                "code_version": EXTRACT_VERSION,
                "partitions": "episodes",
                "checks": CHECKS[name],
            }
            for name in ("mentions", "quotes", "topics")
        },
        "search_index": {
            "deps": ["episodes", "feed_items", "segments"],
            "group": "search",
            "kinds": ["duckdb"],
            "code_version": "1",
            "partitions": None,
            "checks": [],
        },
    },
    "jobs": {
        "extract_job": {
            "assets": ["mentions", "quotes", "topics"],
            "ops": ["extract"],
            "partitions": "episodes",
        },
        "prune_job": {"assets": [], "ops": ["prune_partitions"], "partitions": None},
        "search_index_job": {
            "assets": ["search_index"],
            "ops": ["search_index"],
            "partitions": None,
        },
        "warehouse_upkeep_job": {
            "assets": [],
            "ops": ["compact_warehouse"],
            "partitions": None,
        },
        "refresh_job": {
            "assets": [
                "episodes",
                "feed_items",
                "mentions",
                "quotes",
                "segments",
                "shows",
                "topics",
            ],
            "ops": ["extract", "ingest"],
            "partitions": "episodes",
        },
    },
    "schedules": {
        "nightly_refresh_schedule": {
            "cron": "0 2 * * *",
            "job": "refresh_job",
            "default_status": "RUNNING",
        },
        "nightly_search_index_schedule": {
            "cron": "0 3 * * *",
            "job": "search_index_job",
            "default_status": "RUNNING",
        },
        "nightly_upkeep_schedule": {
            "cron": "0 4 * * *",
            "job": "warehouse_upkeep_job",
            "default_status": "RUNNING",
        },
    },
    "sensors": {
        "raw_files_sensor": {
            "jobs": ["extract_job", "prune_job", "refresh_job"],
            "minimum_interval_seconds": 30,
            "default_status": "RUNNING",
        }
    },
}


def graph_snapshot(definitions: dg.Definitions) -> dict:
    """Everything a reviewer should see change, as plain data."""
    graph = definitions.resolve_asset_graph()
    checks: dict[str, list[str]] = {}
    for check in graph.asset_check_keys:
        checks.setdefault(check.asset_key.to_user_string(), []).append(check.name)
    assets = {
        spec.key.to_user_string(): {
            "deps": sorted(dep.asset_key.to_user_string() for dep in spec.deps),
            "group": spec.group_name,
            "kinds": sorted(spec.kinds),
            "code_version": spec.code_version,
            "partitions": spec.partitions_def.name if spec.partitions_def else None,
            "checks": sorted(checks.get(spec.key.to_user_string(), [])),
        }
        for spec in definitions.resolve_all_asset_specs()
    }
    # Checks run as ops of their own, named <asset>_<check>; they are listed per asset above.
    check_ops = {f"{c.asset_key.to_python_identifier()}_{c.name}" for c in graph.asset_check_keys}
    jobs = {
        job.name: {
            "assets": sorted(k.to_user_string() for k in job.asset_layer.selected_asset_keys),
            "ops": sorted(set(job.graph.node_dict) - check_ops),
            "partitions": job.partitions_def.name if job.partitions_def else None,
        }
        for job in definitions.resolve_all_job_defs()
        if not job.name.startswith("__")
    }
    repo = definitions.get_repository_def()
    schedules = {
        s.name: {
            "cron": s.cron_schedule,
            "job": s.job_name,
            "default_status": s.default_status.value,
        }
        for s in repo.schedule_defs
    }
    sensors = {
        s.name: {
            "jobs": sorted(t.job_name for t in s.targets),
            "minimum_interval_seconds": s.minimum_interval_seconds,
            "default_status": s.default_status.value,
        }
        for s in repo.sensor_defs
    }
    return {
        "assets": dict(sorted(assets.items())),
        "jobs": jobs,
        "schedules": schedules,
        "sensors": sensors,
    }


def test_definitions_load():
    dg.Definitions.validate_loadable(defs)


def test_definitions_graph_matches_the_reviewed_snapshot():
    assert graph_snapshot(defs) == EXPECTED, (
        "the asset graph changed: if intended, update EXPECTED (a new code version means every "
        "partition of those assets is re-materialized)"
    )


def test_definitions_code_versions_are_the_ones_planning_compares():
    """The UI's code version and the warehouse's `partition_state` must never disagree."""
    by_group = {
        "ingestion": steps.ingest.CODE_VERSION,
        "extraction": steps.extract.CODE_VERSION,
        "search": search_index.INDEX_VERSION,  # not partitioned: no partition_state to agree with
    }
    for spec in defs.resolve_all_asset_specs():
        assert spec.code_version == by_group[spec.group_name], spec.key


def test_definitions_operations_doc_names_what_exists():
    """docs/operations.md names the real sensor, schedule and jobs, and its screenshots exist."""
    doc = REPO / "docs" / "operations.md"
    text = doc.read_text(encoding="utf-8")
    for name in [*EXPECTED["jobs"], *EXPECTED["schedules"], *EXPECTED["sensors"], SCHEDULE_TZ.name]:
        assert f"`{name}`" in text, name
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert images, "operations.md lost its screenshots"
    for image in images:
        assert (doc.parent / image).is_file(), image
