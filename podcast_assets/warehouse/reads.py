"""Every read the pipeline makes, and the warehouse's description of itself."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import duckdb

from podcast_assets import sqlfiles, views
from podcast_assets.models import PartitionState, Segment
from podcast_assets.warehouse import ddl


def partition_states(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, PartitionState]]:
    """What each partition holds, per step: the planner's source of truth."""
    out: dict[str, dict[str, PartitionState]] = {}
    for episode_id, step, sha, version in con.execute(
        "SELECT episode_id, step, content_sha256, code_version FROM partition_state"
    ).fetchall():
        out.setdefault(episode_id, {})[step] = PartitionState(sha, version)
    return out


def rejections(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str | None, str]]:
    """source_file -> (content_sha256, reason) of every recorded rejection."""
    return {
        name: (sha, reason)
        for name, sha, reason in con.execute(
            "SELECT source_file, content_sha256, reason FROM ingest_errors"
        ).fetchall()
    }


def load_segments(
    con: duckdb.DuckDBPyConnection, episode_ids: Sequence[str]
) -> dict[str, list[Segment]]:
    """The stored transcript segments of these partitions, in order."""
    out: dict[str, list[Segment]] = {episode_id: [] for episode_id in episode_ids}
    rows = con.execute(
        "SELECT episode_id, seq, text, char_start, start_seconds, end_seconds, speaker, "
        "speaker_role FROM segments WHERE list_contains(?, episode_id) ORDER BY episode_id, seq",
        [list(episode_ids)],
    ).fetchall()
    for episode_id, seq, text, char_start, start, end, speaker, role in rows:
        out[episode_id].append(Segment(seq, text, char_start, start, end, speaker, role))
    return out


def load_episodes(
    con: duckdb.DuckDBPyConnection, episode_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """episode_id -> {source_format, content_sha256, front_matter (parsed JSON or None),
    language, ner_pipeline, show_name, host, guests, persons (the matched feed item's podcast:person
    list, parsed), feed_hosts (its hosts, the channel's when the item names none), categories
    (its feed's `shows.categories`)}.

    A feed's partition is listed too, as `rss_feed`: extraction records it as done with
    no rows, since a feed has no transcript.
    """
    rows = con.execute(
        "SELECT e.episode_id, e.source_format, e.content_sha256, e.front_matter, e.language, "
        "e.ner_pipeline, e.show_name, e.host, e.guests, i.persons, i.hosts, i.categories "
        "FROM episodes e LEFT JOIN (SELECT guid, any_value(persons) AS persons, "
        "any_value(f.hosts) AS hosts, any_value(s.categories) AS categories "
        "FROM feed_items f LEFT JOIN shows s USING (feed_id) GROUP BY guid) i "
        "ON i.guid = e.feed_guid WHERE list_contains(?, e.episode_id) UNION ALL "
        "SELECT feed_id, 'rss_feed', content_sha256, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
        "NULL, NULL FROM shows WHERE list_contains(?, feed_id)",
        [list(episode_ids), list(episode_ids)],
    ).fetchall()
    return {
        episode_id: {
            "source_format": fmt,
            "content_sha256": sha,
            "front_matter": json.loads(fm) if fm else None,
            "language": language,
            "ner_pipeline": pipeline,
            "show_name": show,
            "host": host,
            "guests": list(guests or ()),
            "persons": json.loads(persons) if persons else [],
            "feed_hosts": list(feed_hosts or ()),
            "categories": list(categories or ()),
        }
        for (
            episode_id,
            fmt,
            sha,
            fm,
            language,
            pipeline,
            show,
            host,
            guests,
            persons,
            feed_hosts,
            categories,
        ) in rows
    }


def load_feed_items(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every stored feed item, as dicts: what transcripts are matched against."""
    cursor = con.execute(
        "SELECT i.feed_id, i.guid, i.position, i.show_name, i.title, i.published_at, "
        "i.episode_number, i.season, i.duration_seconds, i.hosts, i.guests, i.file_names, "
        "i.transcripts, s.language AS show_language "
        "FROM feed_items i LEFT JOIN shows s ON s.feed_id = i.feed_id "
        "ORDER BY i.feed_id, i.position"
    )
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def episode_keys_by_content(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    """content_sha256 -> (episode_id, episode_key) of every file with those bytes, oldest first."""
    rows = con.execute(
        "SELECT content_sha256, episode_id, episode_key FROM episodes "
        "ORDER BY ingested_at, episode_id"
    ).fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for sha, episode_id, key in rows:
        out.setdefault(sha, []).append((episode_id, key))
    return out


def describe(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, str]]:
    """(table, column, type, comment) for every table and view, from the file's own catalog.

    Each table or view first gets a row with an empty column whose comment is its grain.
    """
    rows = con.execute(sqlfiles.load("describe").sql).fetchall()
    # A lake's catalog has no comments on view columns: those come from the declarations.
    declared = {(v.name, column): meaning for v in views.VIEWS for column, meaning in v.columns}
    return [
        (str(name), str(column), str(kind), str(comment) or declared.get((name, column), ""))
        for name, column, kind, comment in rows
    ]


def mention_name_counts(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str | None, int]]:
    """(entity, label, mentions) of every name not taken from the gazetteer: what spellings
    are resolved across episodes from."""
    rows = con.execute(
        "SELECT entity, label, count(*) FROM mentions WHERE source <> 'gazetteer' "
        "GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    return [(str(e), lbl, int(n)) for e, lbl, n in rows]


def storage_bytes(con: duckdb.DuckDBPyConnection, tables: Sequence[str]) -> int | None:
    """Bytes of the blocks these tables occupy after a checkpoint; None if unmeasurable.

    In a lake: the bytes of their live Parquet data and delete files.
    """
    if ddl.is_lake(con):
        return _lake_bytes(con, tables)
    scans = " UNION ALL ".join(
        f"SELECT block_id FROM pragma_storage_info({sqlfiles.sql_literal(t)})" for t in tables
    )
    try:
        con.execute("CHECKPOINT")  # before it, new rows are in the write-ahead log
        (blocks,) = con.execute(f"SELECT count(DISTINCT block_id) FROM ({scans})").fetchall()[0]
        (size,) = con.execute("SELECT block_size FROM pragma_database_size()").fetchall()[0]
    except duckdb.Error:  # another transaction of this database blocks the checkpoint
        return None
    return int(blocks) * int(size)


def _lake_bytes(con: duckdb.DuckDBPyConnection, tables: Sequence[str]) -> int | None:
    scans = " UNION ALL ".join(
        "SELECT data_file_size_bytes + coalesce(delete_file_size_bytes, 0) AS size "
        f"FROM ducklake_list_files(current_database(), {sqlfiles.sql_literal(t)})"
        for t in tables
    )
    try:
        (size,) = con.execute(f"SELECT sum(size) FROM ({scans})").fetchall()[0]
    except duckdb.Error:
        return None
    return int(size or 0)
