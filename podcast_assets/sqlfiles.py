"""SQL kept as SQL: views, check predicates and catalog queries live in `podcast_assets/sql/`.

Each file starts with comment lines: `-- key: value` lines are its settings (`asset`,
`severity`), the other comment lines are its summary (for a view, its grain: what one row
is; for a check, what it asserts). The rest is the statement, which can be run, linted and
read as SQL. Values reach these statements only as `?` parameters; `sql_literal` quotes our
own constants where DDL takes no parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

_SETTING = re.compile(r"^--\s*(asset|severity):\s*(.+?)\s*$")


@dataclass(frozen=True, slots=True)
class SqlFile:
    name: str
    summary: str
    sql: str
    settings: dict[str, str] = field(default_factory=dict)


@cache
def load(name: str) -> SqlFile:
    """`sql/<name>.sql`, split into its summary, settings and statement."""
    text = resources.files("podcast_assets").joinpath("sql", f"{name}.sql").read_text("utf-8")
    lines = text.splitlines()
    summary: list[str] = []
    settings: dict[str, str] = {}
    body_start = 0
    for i, line in enumerate(lines):
        if not line.startswith("--"):
            body_start = i
            break
        if match := _SETTING.match(line):
            settings[match.group(1)] = match.group(2)
        else:
            summary.append(line[2:].strip())
    else:
        body_start = len(lines)
    sql = "\n".join(lines[body_start:]).strip().rstrip(";").strip()
    return SqlFile(name, " ".join(s for s in summary if s), sql, settings)


def names(prefix: str) -> list[str]:
    """Stems of the SQL files whose name starts with `prefix`, sorted."""
    folder = resources.files("podcast_assets").joinpath("sql")
    return sorted(
        entry.name.removesuffix(".sql")
        for entry in folder.iterdir()
        if entry.name.startswith(prefix) and entry.name.endswith(".sql")
    )


def sql_literal(text: str) -> str:
    """A SQL string literal, for DDL (which takes no parameters) and our own constants only."""
    return "'" + text.replace("'", "''") + "'"
