"""SQL kept as SQL: views, check predicates and catalog queries live in `podcast_assets/sql/`.

Each file starts with comment lines. The first says what the statement is (for a view, its
grain: what one row is; for a check, what it asserts); `-- key: value` lines with a key from
`SETTING_KEYS` are its settings; every other leading comment line continues the summary. The
rest is the statement, which can be run, linted and read as SQL. Values reach these
statements only as `?` parameters; `sql_literal` quotes text where DDL and COPY take none.

The files are package data (`sql/*.sql` in pyproject), read through `importlib.resources` so
they are found in a wheel as well as in a checkout.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType

# Settings the files may declare (read by `defs/checks.py`): the asset a check belongs to, its
# severity, how many offending rows it reports, and what fills its `?` parameters.
SETTING_KEYS = ("asset", "severity", "sample", "parameters")
_SETTING = re.compile(rf"^--\s*({'|'.join(SETTING_KEYS)}):\s*(.+?)\s*$")
_PACKAGE = "podcast_assets"
_FOLDER = "sql"


@dataclass(frozen=True, slots=True)
class SqlFile:
    """One parsed `.sql` file: cached and shared, hence frozen with read-only settings."""

    name: str
    summary: str  # the leading comment lines that are not settings, joined into one line
    sql: str  # the statement, without a trailing semicolon
    settings: Mapping[str, str]


@cache
def load(name: str) -> SqlFile:
    """`sql/<name>.sql`, split into its summary, settings and statement (read once)."""
    text = resources.files(_PACKAGE).joinpath(_FOLDER, f"{name}.sql").read_text("utf-8")
    lines = text.splitlines()
    summary: list[str] = []
    settings: dict[str, str] = {}
    body_start = len(lines)
    for i, line in enumerate(lines):
        if not line.startswith("--"):
            body_start = i
            break
        if match := _SETTING.match(line):
            settings[match.group(1)] = match.group(2)
        else:
            summary.append(line[2:].strip())
    sql = "\n".join(lines[body_start:]).strip().rstrip(";").strip()
    return SqlFile(name, " ".join(s for s in summary if s), sql, MappingProxyType(settings))


def names(prefix: str) -> list[str]:
    """Stems of the SQL files whose name starts with `prefix`, sorted: a new file is found."""
    folder = resources.files(_PACKAGE).joinpath(_FOLDER)
    return sorted(
        entry.name.removesuffix(".sql")
        for entry in folder.iterdir()
        if entry.name.startswith(prefix) and entry.name.endswith(".sql")
    )


def sql_literal(text: str) -> str:
    """A SQL string literal (quotes doubled), only where DuckDB takes no `?` parameter.

    That is DDL comments (our own constants) and a COPY target path; any value a statement
    can take as a parameter goes in as one instead.
    """
    return "'" + text.replace("'", "''") + "'"
