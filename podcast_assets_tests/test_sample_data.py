"""`make run` on the shipped sample data: every file ingested, the feed joined, every check green.

The sample is what a new user sees first, in the CLI and in the UI: four seed files, and a
small show (`soil-and-sky.xml`) with a JSON and an HTML transcript of two of its episodes.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from podcast_assets import warehouse
from podcast_assets.definitions import defs
from podcast_assets.rawfiles import episode_id_for
from podcast_assets.runner import run_refresh

from .conftest import SEEDS_DIR

pytestmark = pytest.mark.slow
SAMPLE_IDS = sorted(episode_id_for(p.name) for p in SEEDS_DIR.iterdir())


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("sample")
    shutil.copytree(SEEDS_DIR, root / "raw")
    (root / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(root / "dagster")) as instance:
        summary = run_refresh(defs, root / "raw", root / "w.duckdb", instance)
        yield {"db": root / "w.duckdb", "instance": instance, "summary": summary}


def query(db: Path, sql: str) -> list[tuple]:
    with warehouse.open_reader(db) as con:
        return con.execute(sql).fetchall()


def test_sample_refresh_takes_every_file_in_one_run(sample):
    summary = sample["summary"]
    assert summary.exit_code == 0, summary.lines()
    assert sorted(summary.ingested) == SAMPLE_IDS
    assert len(summary.run_ids) == 1


def test_sample_feed_names_its_episodes(sample):
    rows = query(
        sample["db"],
        "SELECT episode_id, show_name, episode_number, title, host, guests, metadata_source "
        "FROM episodes WHERE feed_guid IS NOT NULL ORDER BY 1",
    )
    assert rows == [
        (
            "soil-and-sky-012-json",
            "Soil and Sky",
            12,
            "Compost on a balcony, with Maya Ortiz",
            "Nadia Brooks",
            ["Maya Ortiz"],
            "feed",
        ),
        (
            "soil-and-sky-013-html",
            "Soil and Sky",
            13,
            "Reading the clouds, with Tom Becker",
            "Nadia Brooks",
            ["Tom Becker"],
            "feed",
        ),
    ]
    speakers = query(
        sample["db"],
        "SELECT DISTINCT speaker FROM segments WHERE episode_id LIKE 'soil-and-sky%' ORDER BY 1",
    )
    assert speakers == [("Maya Ortiz",), ("Nadia Brooks",), ("Tom Becker",)]


def test_sample_passes_every_asset_check(sample):
    instance: dg.DagsterInstance = sample["instance"]
    (run_id,) = sample["summary"].run_ids
    evaluations = [
        e.dagster_event.event_specific_data
        for e in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    ]
    graph = defs.resolve_asset_graph()
    assert {e.check_name for e in evaluations} == {k.name for k in graph.asset_check_keys}
    failing = {e.check_name: e.metadata for e in evaluations if not e.passed}
    assert failing == {}


def latest(instance: dg.DagsterInstance, asset: str, partition: str) -> Any:
    """The partition's latest materialization, as the UI's partition page shows it."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[partition]),
        limit=1,
    ).records
    assert records, (asset, partition)
    return records[0].asset_materialization


def test_sample_each_partition_carries_its_own_row_count_and_preview(sample):
    instance: dg.DagsterInstance = sample["instance"]
    counts = dict(query(sample["db"], "SELECT episode_id, count(*) FROM segments GROUP BY 1"))
    for key in SAMPLE_IDS:
        metadata = latest(instance, "segments", key).metadata
        assert metadata["dagster/row_count"].value == counts.get(key, 0), key
        assert metadata["partitions_in_run"].value == len(SAMPLE_IDS)
        preview = metadata.get("preview")
        if counts.get(key):
            assert preview is not None and len(preview.records) == min(5, counts[key]), key
            assert {r.data["episode_id"] for r in preview.records} == {key}
    feed = latest(instance, "feed_items", "soil-and-sky-xml")
    assert feed.metadata["dagster/row_count"].value == 2


def test_sample_an_edited_feed_refreshes_the_episodes_it_names_in_the_same_refresh(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(SEEDS_DIR, raw)
    (tmp_path / "dagster").mkdir()
    db = tmp_path / "w.duckdb"
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
        assert run_refresh(defs, raw, db, instance).exit_code == 0
        feed = raw / "soil-and-sky.xml"
        feed.write_text(feed.read_text().replace("Compost on a balcony", "Balcony compost"))
        summary = run_refresh(defs, raw, db, instance)
    assert summary.exit_code == 0, summary.lines()
    # The feed, then (in a follow-up pass of the same refresh) every episode it names.
    assert sorted(summary.ingested) == [
        "soil-and-sky-012-json",
        "soil-and-sky-013-html",
        "soil-and-sky-xml",
    ]
    assert query(db, "SELECT title FROM episodes WHERE episode_id = 'soil-and-sky-012-json'") == [
        ("Balcony compost, with Maya Ortiz",)
    ]
