"""Asset checks, each named as the predicate it asserts, over the whole table.

They run inside the step that writes their table (declared as the multi-asset's
`check_specs`), on the connection that step already has: a check costs one query, not a
process and a run step of its own.

Every check is a SQL file `sql/check_<name>.sql`: its first comment line says what it asserts
(the check's description), then settings: `-- asset:` (required), `-- severity: error|warn`
(default error), `-- sample: <n>|all` (offending rows reported, default 5) and
`-- parameters: <name>, ...` (what fills its `?` parameters, from `_PARAMETERS`). A check
passes when its query finds no offending rows, and reports how many and a sample of them
when it does not. Adding a check is adding a file.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import dagster as dg
import duckdb

from podcast_assets import sqlfiles
from podcast_assets.schema import Table

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


@dataclass(frozen=True)
class SqlCheck:
    """One check file, ready to declare on its asset and to run in that asset's step."""

    name: str
    asset: str
    description: str
    sql: str
    severity: dg.AssetCheckSeverity
    parameters: tuple[str, ...]
    sample: int | None

    @property
    def spec(self) -> dg.AssetCheckSpec:
        return dg.AssetCheckSpec(
            name=self.name, asset=self.asset, description=self.description, blocking=False
        )

    def run(self, con: duckdb.DuckDBPyConnection) -> dg.AssetCheckResult:
        values = [_PARAMETERS[p]() for p in self.parameters]
        rows = con.execute(self.sql, values).fetchall()
        return dg.AssetCheckResult(
            asset_key=self.asset,
            check_name=self.name,
            passed=not rows,
            severity=self.severity,
            metadata={
                "violations": dg.MetadataValue.int(len(rows)),
                "sample": dg.MetadataValue.json(
                    [[str(v) for v in row] for row in rows[: self.sample]]
                ),
            },
        )


def sql_check(name: str) -> SqlCheck:
    """The check declared by `sql/check_<name>.sql`."""
    query = sqlfiles.load(_PREFIX + name)
    return SqlCheck(
        name=name,
        asset=query.settings["asset"],
        description=query.summary,
        sql=query.sql,
        severity=_SEVERITY[query.settings.get("severity", "error")],
        parameters=tuple(_parameter_names(query)),
        sample=_sample_size(query),
    )


CHECKS: list[SqlCheck] = [sql_check(stem.removeprefix(_PREFIX)) for stem in sqlfiles.names(_PREFIX)]


def check_specs(tables: Iterable[Table]) -> list[dg.AssetCheckSpec]:
    """The checks of these tables, declared on the step that writes them."""
    names = {t.name for t in tables}
    return [c.spec for c in CHECKS if c.asset in names]


def run_checks(
    con: duckdb.DuckDBPyConnection, tables: Iterable[Table]
) -> Iterator[dg.AssetCheckResult]:
    """Every check of these tables, over the whole table, on one connection."""
    names = {t.name for t in tables}
    for check in CHECKS:
        if check.asset in names:
            yield check.run(con)
