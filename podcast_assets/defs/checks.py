"""Asset checks, each named as the predicate it asserts, over the whole table.

Every check is a SQL file `sql/check_<name>.sql` (its asset and severity in header comments,
then what it asserts): it passes when its query finds no offending rows, and reports how
many and a few of them when it does not. Adding a check is adding a file.
"""

from collections.abc import Sequence

import dagster as dg

from podcast_assets import sqlfiles
from podcast_assets.defs.resources import WarehouseResource

_SAMPLE = 5
_PREFIX = "check_"
_SEVERITY = {"error": dg.AssetCheckSeverity.ERROR, "warn": dg.AssetCheckSeverity.WARN}


def _result(
    rows: Sequence[tuple[object, ...]], severity: dg.AssetCheckSeverity
) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=not rows,
        severity=severity,
        metadata={
            "violations": dg.MetadataValue.int(len(rows)),
            "sample": dg.MetadataValue.json([[str(v) for v in row] for row in rows[:_SAMPLE]]),
        },
    )


def _parameters(name: str) -> list[object]:
    """The `?` parameters a check's SQL takes (only the gazetteer check has one)."""
    if name == "mention_entities_are_in_gazetteer":
        from podcast_assets.extraction import load_gazetteer

        return [sorted(load_gazetteer().by_name)]
    return []


def sql_check(name: str) -> dg.AssetChecksDefinition:
    """The check declared by `sql/check_<name>.sql`."""
    query = sqlfiles.load(_PREFIX + name)
    severity = _SEVERITY[query.settings.get("severity", "error")]

    @dg.asset_check(
        asset=query.settings["asset"], name=name, description=query.summary, blocking=False
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.reader() as con:
            rows = con.execute(query.sql, _parameters(name)).fetchall()
        return _result(rows, severity)

    return _check


CHECKS: list[dg.AssetChecksDefinition] = [
    sql_check(stem.removeprefix(_PREFIX)) for stem in sqlfiles.names(_PREFIX)
]
