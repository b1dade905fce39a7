"""Asset checks, each named as the predicate it asserts, over the whole table.

Every check is a SQL file `sql/check_<name>.sql`: its first comment line says what it asserts
(the check's description), then settings: `-- asset:` (required), `-- severity: error|warn`
(default error), `-- sample: <n>|all` (offending rows reported, default 5) and
`-- parameters: <name>, ...` (what fills its `?` parameters, from `_PARAMETERS`). A check
passes when its query finds no offending rows, and reports how many and a sample of them
when it does not. Adding a check is adding a file.
"""

from collections.abc import Callable, Sequence

import dagster as dg

from podcast_assets import sqlfiles
from podcast_assets.defs.resources import WarehouseResource

_SAMPLE = 5
_PREFIX = "check_"
_SEVERITY = {"error": dg.AssetCheckSeverity.ERROR, "warn": dg.AssetCheckSeverity.WARN}


def _gazetteer_names() -> object:
    """The gazetteer's canonical names, read when the check runs (it may have been edited)."""
    from podcast_assets.extraction import load_gazetteer

    return sorted(load_gazetteer().by_name)


# What a check's `-- parameters:` may name: each fills one `?`, in the order named.
_PARAMETERS: dict[str, Callable[[], object]] = {"gazetteer_names": _gazetteer_names}


def _parameter_names(query: sqlfiles.SqlFile) -> list[str]:
    """The check's declared parameters, checked at load time so a typo fails at import."""
    declared = query.settings.get("parameters", "")
    names = [n.strip() for n in declared.split(",") if n.strip()]
    unknown = sorted(set(names) - set(_PARAMETERS))
    if unknown:
        raise ValueError(f"sql/{query.name}.sql: unknown parameters {unknown}")
    return names


def _sample_size(query: sqlfiles.SqlFile) -> int | None:
    """How many offending rows the check reports; None reports them all."""
    sample = query.settings.get("sample", str(_SAMPLE))
    return None if sample == "all" else int(sample)


def _result(
    rows: Sequence[tuple[object, ...]], severity: dg.AssetCheckSeverity, sample: int | None
) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=not rows,
        severity=severity,
        metadata={
            "violations": dg.MetadataValue.int(len(rows)),
            "sample": dg.MetadataValue.json([[str(v) for v in row] for row in rows[:sample]]),
        },
    )


def sql_check(name: str) -> dg.AssetChecksDefinition:
    """The check declared by `sql/check_<name>.sql`."""
    query = sqlfiles.load(_PREFIX + name)
    severity = _SEVERITY[query.settings.get("severity", "error")]
    parameters = _parameter_names(query)
    sample = _sample_size(query)

    @dg.asset_check(
        asset=query.settings["asset"], name=name, description=query.summary, blocking=False
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        values = [_PARAMETERS[p]() for p in parameters]
        with warehouse.reader() as con:
            rows = con.execute(query.sql, values).fetchall()
        return _result(rows, severity, sample)

    return _check


CHECKS: list[dg.AssetChecksDefinition] = [
    sql_check(stem.removeprefix(_PREFIX)) for stem in sqlfiles.names(_PREFIX)
]
