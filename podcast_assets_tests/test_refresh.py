"""End to end through Dagster: refresh the sample files plus a matrix of bad ones.

One module-scoped refresh (real parsing, real spaCy, real DuckDB, a real Dagster instance in a
temporary directory); the tests then read what it left behind.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from podcast_assets import preflight, search, warehouse
from podcast_assets.definitions import defs
from podcast_assets.defs.partitions import EPISODE_PARTITIONS_NAME
from podcast_assets.runner import run_refresh

from .conftest import SEED_IDS, refreshed_seeds

BAD_FILES: dict[str, bytes] = {
    "empty.txt": b"",
    "random.bin": bytes((i * 7919 + 13) % 255 + 1 for i in range(4096)),
    "nul.txt": b"This is episode 5.\x00\x00",
    "broken-yaml.txt": b"---\ntitle: [unclosed\n---\n",
    "list-yaml.txt": b"---\n- a\n- b\n---\n",
    "evil-yaml.txt": b"---\ntitle: !!python/object/apply:os.system ['true']\n---\n",
    "backwards.srt": b"1\n00:00:05,000 --> 00:00:02,000\nhello\n\n",
}
EXPECTED_REASONS = {
    "empty.txt": "file is empty",
    "random.bin": "is not text: neither valid UTF-8 nor cp1252",
    "nul.txt": "NUL byte",
    "broken-yaml.txt": "not valid YAML",
    "list-yaml.txt": "not a mapping",
    "evil-yaml.txt": "could not determine a constructor",
    "backwards.srt": "ends at 00:00:02,000 before it starts at 00:00:05,000",
}

# The real pipeline through Dagster (spaCy, runs), or a webserver process.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A raw dir (seeds + bad files), a warehouse, an instance, and the first refresh."""
    with refreshed_seeds(tmp_path_factory.mktemp("refresh"), BAD_FILES) as (raw, db, inst, first):
        yield {"raw": raw, "db": db, "instance": inst, "first": first}


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with warehouse.open_reader(db) as con:
        return con.execute(sql, params or []).fetchall()


def test_refresh_ingests_every_good_file_with_the_right_format(world):
    rows = dict(query(world["db"], "SELECT episode_id, source_format FROM episodes"))
    assert rows == {
        "000_bd597d44d42fa029": "enriched_page",
        "001_d9628893f081d57c": "enriched_page",
        "002_8b2825759835b94d": "plain_transcript",
        "003_6dc2de23e6c008f7": "timestamped_transcript",
    }
    assert query(world["db"], "SELECT count(DISTINCT episode_key) FROM episodes") == [(3,)]


def test_refresh_records_each_bad_file_with_its_reason(world):
    summary = world["first"]
    assert summary.exit_code == 1
    recorded = dict(query(world["db"], "SELECT source_file, reason FROM ingest_errors"))
    assert set(recorded) == set(BAD_FILES)
    for name, reason in EXPECTED_REASONS.items():
        assert recorded[name].startswith(f"{name}: ")
        assert reason in recorded[name]
        assert summary.rejected[name] == recorded[name]
    assert "\n".join(summary.lines()).count("  - ") == len(BAD_FILES)


def test_refresh_shows_bad_files_as_failed_partitions_in_dagster(world):
    instance: dg.DagsterInstance = world["instance"]
    materialized = instance.get_materialized_partitions(dg.AssetKey("episodes"))
    assert materialized == set(SEED_IDS)
    failed_runs = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE]))
    assert len(failed_runs) == len(BAD_FILES)
    messages = " ".join(
        e.dagster_event.step_failure_data.user_failure_data.description
        for run in failed_runs
        for e in instance.all_logs(run.run_id)
        if e.dagster_event and e.dagster_event.event_type_value == "STEP_FAILURE"
    )
    for name, reason in EXPECTED_REASONS.items():
        assert f"{name}: " in messages and reason in messages


def test_refresh_materializes_every_asset_for_every_good_partition(world):
    instance: dg.DagsterInstance = world["instance"]
    for asset in ("episodes", "segments", "mentions", "quotes", "topics"):
        assert instance.get_materialized_partitions(dg.AssetKey(asset)) == set(SEED_IDS), asset
    keys = instance.get_dynamic_partitions(EPISODE_PARTITIONS_NAME)
    assert set(SEED_IDS) <= set(keys)


def test_refresh_good_files_run_together(world):
    good_runs = [
        r
        for r in world["instance"].get_runs(
            filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.SUCCESS], job_name="refresh_job")
        )
    ]
    assert len(good_runs) == 1


def test_refresh_runs_every_asset_check_and_they_pass(world):
    instance: dg.DagsterInstance = world["instance"]
    (good_run,) = instance.get_runs(
        filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.SUCCESS], job_name="refresh_job")
    )
    evaluations = {
        e.dagster_event.event_specific_data.check_name: e.dagster_event.event_specific_data
        for e in instance.all_logs(
            good_run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
        )
    }
    assert len(evaluations) >= 15
    failed = {
        name: ev.metadata
        for name, ev in evaluations.items()
        if not ev.passed and ev.severity == dg.AssetCheckSeverity.ERROR
    }
    assert failed == {}


def test_refresh_extraction_reads_like_an_index_of_the_shows(world):
    db = world["db"]
    ours = "source IN ('spacy', 'gazetteer')"
    junk = {"So I", "And I", "Like Soma", "Our ICYMI", "But NIM", "From Nvidia", "Now I"}
    entities = {e for (e,) in query(db, f"SELECT DISTINCT entity FROM mentions WHERE {ours}")}
    assert not entities & junk
    assert {"Trainium", "Amazon Web Services", "Annapurna Labs", "NVIDIA"} <= entities
    timed = query(
        db,
        # Said names only: an episode's people (speaker labels, listed hosts and guests) are
        # episode-level rows, with no place in the audio.
        "SELECT count(*), count(start_seconds) FROM mentions "
        "WHERE episode_id = '003_6dc2de23e6c008f7' AND source NOT IN ('speaker', 'metadata')",
    )[0]
    assert timed[0] > 20 and timed[0] == timed[1]
    assert query(
        db,
        "SELECT count(*) > 0, bool_and(start_seconds IS NOT NULL) FROM quotes "
        "WHERE episode_id = '003_6dc2de23e6c008f7'",
    ) == [(True, True)]
    analyser_five = [
        "artificial intelligence",
        "ai infrastructure",
        "startup",
        "generative ai",
        "investment",
    ]

    def order(episode_id: str) -> list[str]:
        rows = query(
            db,
            "SELECT topic FROM topics WHERE episode_id = ? AND list_contains(?, topic) "
            "ORDER BY mentions DESC, topic",
            [episode_id, analyser_five],
        )
        return [t for (t,) in rows]

    # The analyser reports a topic from 2 mentions in an episode of any length; ours also
    # need a tenth of the main topic's, so we report fewer of its five, ranked as it ranks them.
    ours, theirs = order("002_8b2825759835b94d"), order("001_d9628893f081d57c")
    assert len(ours) >= 2 and ours == [t for t in theirs if t in ours]


def test_refresh_rebuilds_the_search_index_in_a_run_of_its_own(world):
    assert any(line.startswith("search index: rebuilt: ") for line in world["first"].lines())
    (index_run,) = world["instance"].get_runs(filters=dg.RunsFilter(job_name="search_index_job"))
    assert index_run.status == dg.DagsterRunStatus.SUCCESS
    with warehouse.open_reader(world["db"]) as con:
        assert search.stale_episodes(con) == 0
        hits = search.search(con, "scheduling a supercomputer by post-it")
    assert (hits[0].episode_id, hits[0].timestamp) == ("003_6dc2de23e6c008f7", "00:00:00")
    assert "**supercomputer**" in hits[0].snippet


def test_refresh_second_run_does_nothing_and_says_so(world):
    before = query(world["db"], "SELECT max(ingested_at) FROM episodes")
    runs_before = len(world["instance"].get_runs())
    again = run_refresh(defs, world["raw"], world["db"], world["instance"])
    assert not again.plan.has_work
    assert again.run_ids == []
    assert len(world["instance"].get_runs()) == runs_before
    assert any("nothing to do" in line for line in again.lines())
    assert query(world["db"], "SELECT max(ingested_at) FROM episodes") == before
    assert again.exit_code == 1  # the bad files are still there, and still reported
    assert set(again.rejected) == set(BAD_FILES)


def test_refresh_with_nothing_to_do_is_settled_before_dagster_and_spacy(world):
    settled = preflight.settled(world["raw"], world["db"], 5.0)
    assert settled is not None
    assert any("nothing to do" in line for line in settled.lines())
    assert settled.exit_code == 1 and set(settled.rejected) == set(BAD_FILES)
    # The CLI answers it in a process that never imports either.
    probe = (
        "import sys\n"
        "from podcast_assets.cli import main\n"
        "try:\n"
        f"    main(['refresh', '--raw-dir', {str(world['raw'])!r}, '--warehouse', "
        f"{str(world['db'])!r}])\n"
        "except SystemExit as exit:\n"
        "    print('exit', exit.code, 'dagster' in sys.modules, 'spacy' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )
    assert "nothing to do" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "exit 1 False False"


def test_refresh_preflight_leaves_a_vanished_rejected_file_to_the_runner(world):
    raw = world["raw"]
    (raw / "nul.txt").rename(raw / ".nul-aside")
    try:
        # Its rejection must be cleared and its partition dropped: that is the runner's work.
        assert preflight.settled(raw, world["db"], 5.0) is None
    finally:
        (raw / ".nul-aside").rename(raw / "nul.txt")


def test_refresh_fixed_file_leaves_ingest_errors_and_removed_file_leaves_no_rows(world):
    raw, db, instance = world["raw"], world["db"], world["instance"]
    (raw / "empty.txt").write_text(
        "Welcome to the Fixed Show. I'm your host, Ada Lovelace, and today we talk gardens.\n"
    )
    (raw / "003_6dc2de23e6c008f7.txt").rename(raw / ".hidden-now")
    try:
        summary = run_refresh(defs, raw, db, instance)
        assert "empty.txt" not in summary.rejected
        assert query(db, "SELECT count(*) FROM ingest_errors WHERE source_file = 'empty.txt'") == [
            (0,)
        ]
        assert query(db, "SELECT show_name FROM episodes WHERE episode_id = 'empty'") == [
            ("Fixed",)
        ]
        gone = "003_6dc2de23e6c008f7"
        for table in ("episodes", "segments", "mentions", "quotes", "topics"):
            assert query(db, f"SELECT count(*) FROM {table} WHERE episode_id = ?", [gone]) == [(0,)]
        (removal,) = query(db, "SELECT source_file, rows_deleted FROM removals")
        assert removal[0] == "003_6dc2de23e6c008f7.txt"
        assert '"segments": 449' in removal[1]
        assert gone not in instance.get_dynamic_partitions(EPISODE_PARTITIONS_NAME)
    finally:
        (raw / ".hidden-now").rename(raw / "003_6dc2de23e6c008f7.txt")


def test_refresh_a_fifty_file_backfill_is_one_run(tmp_path):
    """New files are registered together, so they form one partition range and one run."""
    raw = tmp_path / "raw"
    raw.mkdir()
    for i in range(50):
        (raw / f"ep{i:02d}.txt").write_text(
            f"This is episode number {i + 1} with Ada Lovelace. Welcome to the Tiny Show.\n"
            "We talk about Trainium chips on AWS and GPUs for training.\n"
        )
    (tmp_path / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
        summary = run_refresh(defs, raw, tmp_path / "w.duckdb", instance)
        assert summary.exit_code == 0
        assert len(summary.run_ids) == 1
        assert len(instance.get_materialized_partitions(dg.AssetKey("topics"))) == 50
    assert query(tmp_path / "w.duckdb", "SELECT count(DISTINCT episode_key) FROM episodes") == [
        (50,)
    ]


def test_refresh_assets_backfill_in_a_single_run():
    from podcast_assets.definitions import defs

    for key in ("episodes", "segments", "mentions", "quotes", "topics"):
        policy = defs.resolve_assets_def(key).backfill_policy
        assert policy == dg.BackfillPolicy.single_run(), key


def test_refresh_materializations_carry_a_table_preview_and_counts(world):
    record = world["instance"].get_latest_materialization_event(dg.AssetKey("mentions"))
    assert record is not None
    metadata = record.asset_materialization.metadata
    preview = metadata["preview"]
    assert isinstance(preview, dg.TableMetadataValue)
    assert preview.records and "entity" in preview.records[0].data
    top = metadata["top_entities"]
    assert isinstance(top, dg.TableMetadataValue) and top.records[0].data["count"] > 0
    assert metadata["rows_written_in_run"].value > 0
