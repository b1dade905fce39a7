"""Asset checks, each named as the predicate it asserts, over the whole table.

The check bodies are SQL predicates on the warehouse: a check passes when its query finds
no offending rows, and reports a few of them when it does not.
"""

from collections.abc import Sequence

import dagster as dg

from podcast_assets.defs.resources import WarehouseResource

_SAMPLE = 5


def _violations(warehouse: WarehouseResource, sql: str) -> tuple[int, list[tuple[object, ...]]]:
    with warehouse.writer() as con:
        rows = con.execute(sql).fetchall()
    return len(rows), rows[:_SAMPLE]


def _result(
    count: int, sample: Sequence[tuple[object, ...]], severity: dg.AssetCheckSeverity
) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=count == 0,
        severity=severity,
        metadata={
            "violations": dg.MetadataValue.int(count),
            "sample": dg.MetadataValue.json([[str(v) for v in row] for row in sample]),
        },
    )


def sql_check(
    asset: str,
    name: str,
    description: str,
    sql: str,
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
) -> dg.AssetChecksDefinition:
    """A check that passes when `sql` returns no rows."""

    @dg.asset_check(asset=asset, name=name, description=description, blocking=False)
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        count, sample = _violations(warehouse, sql)
        return _result(count, sample, severity)

    return _check


CHECKS: list[dg.AssetChecksDefinition] = [
    sql_check(
        "episodes",
        "episode_ids_are_unique",
        "No two rows share an episode_id.",
        "SELECT episode_id, count(*) FROM episodes GROUP BY 1 HAVING count(*) > 1",
    ),
    sql_check(
        "episodes",
        "keys_are_not_null",
        "episode_id, episode_key, source_format and content_sha256 are set.",
        "SELECT episode_id FROM episodes WHERE episode_key IS NULL OR source_format IS NULL "
        "OR content_sha256 IS NULL",
    ),
    sql_check(
        "segments",
        "segments_are_contiguous",
        "Each episode's segments are numbered 0..n-1 with no gap or duplicate.",
        "SELECT episode_id FROM segments GROUP BY 1 "
        "HAVING count(*) <> max(seq) + 1 OR count(DISTINCT seq) <> count(*)",
    ),
    sql_check(
        "segments",
        "segment_times_are_ordered",
        "No segment ends before it starts.",
        "SELECT episode_id, seq FROM segments WHERE end_seconds < start_seconds",
    ),
]
