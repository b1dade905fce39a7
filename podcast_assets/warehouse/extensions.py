"""DuckDB extensions loaded from their PyPI packages: offline, nothing installed or downloaded.

DuckDB's `INSTALL`/autoload fetch extensions from the network at run time, which fails here
and surprises users behind firewalls. Each extension this project uses ships as a wheel
(`duckdb-extension-<name>`) pinned to the DuckDB release, with the binary inside; `LOAD
'<that file>'` needs no network and no `~/.duckdb`, so `make run`'s install is the whole set-up.
"""

from __future__ import annotations

import importlib.metadata
from importlib import resources
from pathlib import Path

import duckdb

from podcast_assets.sqlfiles import sql_literal

PACKAGES = {
    "fts": "duckdb-extension-fts",
    "ducklake": "duckdb-extension-ducklake",
    "postgres_scanner": "duckdb-extension-postgres-scanner",
}
"""Extension name -> the PyPI package that ships it (all pinned in pyproject.toml)."""


class ExtensionUnavailableError(RuntimeError):
    """The package that ships an extension is missing, or ships it for another DuckDB."""


def extension_path(name: str) -> Path:
    """The extension file shipped for the running DuckDB."""
    package = PACKAGES[name]
    want = f"pip install {package}=={duckdb.__version__}"
    module = package.replace("-", "_")
    try:
        root = resources.files(module) / "extensions"
    except ModuleNotFoundError:
        raise ExtensionUnavailableError(f"the {name} extension needs {package}: {want}") from None
    path = root / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not path.is_file():
        have = importlib.metadata.version(package)
        raise ExtensionUnavailableError(
            f"{package} {have} has no {name} extension for DuckDB {duckdb.__version__}: {want}"
        )
    return Path(str(path))


def load(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    """Load these extensions into the connection's database (a no-op for a loaded one)."""
    for name in names:
        con.execute(f"LOAD {sql_literal(str(extension_path(name)))}")
