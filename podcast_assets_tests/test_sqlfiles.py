"""The SQL files: found as package data, headed by what they are, runnable as they stand."""

from __future__ import annotations

import fnmatch
import tomllib
from importlib import resources

import duckdb
import pytest

from podcast_assets import sqlfiles, warehouse
from podcast_assets.schema import PARTITION_TABLES
from podcast_assets.views import VIEWS

from .conftest import REPO

SQL_DIR = REPO / "podcast_assets" / "sql"
ALL_FILES = sorted(p.stem for p in SQL_DIR.glob("*.sql"))
CHECK_FILES = sqlfiles.names("check_")


def test_sqlfiles_are_found_through_importlib_resources():
    folder = resources.files("podcast_assets").joinpath("sql")
    assert folder.is_dir()
    assert sorted(p.name.removesuffix(".sql") for p in folder.iterdir()) == ALL_FILES
    assert sqlfiles.load("describe") is sqlfiles.load("describe")  # read once


def test_sqlfiles_are_package_data():
    """Every file matches pyproject's package-data glob, so a wheel carries it."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["podcast_assets"]
    for stem in ALL_FILES:
        assert any(fnmatch.fnmatch(f"sql/{stem}.sql", g) for g in globs), stem


def test_sqlfiles_every_view_file_is_a_view_and_starts_with_its_grain():
    assert sorted(f"view_{v.name}" for v in VIEWS) == sqlfiles.names("view_")
    for view in VIEWS:
        first = (SQL_DIR / f"view_{view.name}.sql").read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("-- One row per "), view.name
        assert view.grain.startswith(first.removeprefix("-- "))


@pytest.mark.parametrize("name", CHECK_FILES)
def test_sqlfiles_a_check_starts_with_what_it_asserts_then_its_settings(name):
    text = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
    query = sqlfiles.load(name)
    assert query.summary.startswith(text.splitlines()[0].removeprefix("-- "))
    assert query.settings["asset"] in {t.name for t in PARTITION_TABLES}
    assert set(query.settings) <= set(sqlfiles.SETTING_KEYS)
    assert ":" not in query.summary.split(" ")[0]  # a setting never leaks into the description


def test_sqlfiles_load_splits_summary_settings_and_statement():
    query = sqlfiles.load("check_recurring_organisations_are_in_gazetteer")
    assert query.summary == (
        "Warns about organisations and products that two or more episodes mention but the "
        "gazetteer does not know: the candidates worth adding (`podcast-assets gazetteer "
        "suggest`). People, places and names one episode drops are open-ended and not "
        "counted, nor is the analyser's crude first pass."
    )
    assert dict(query.settings) == {
        "asset": "mentions",
        "severity": "warn",
        "sample": "all",
        "parameters": "gazetteer_names",
    }
    assert query.sql.startswith("SELECT m.entity") and not query.sql.endswith(";")
    with pytest.raises(TypeError):
        query.settings["asset"] = "episodes"  # type: ignore[index]


def test_sqlfiles_every_statement_runs_on_an_empty_warehouse(tmp_path):
    db = tmp_path / "w.duckdb"
    with warehouse.open_writer(db):
        pass  # the views' files run as CREATE VIEW here
    with warehouse.open_reader(db) as con:
        for name in CHECK_FILES:
            query = sqlfiles.load(name)
            parameters = [[]] * query.sql.count("?")
            assert con.execute(query.sql, parameters).fetchall() == [], name
        assert con.execute(sqlfiles.load("describe").sql).fetchall()


@pytest.mark.parametrize("text", ["", "plain", "it's", "''", "a'b'c", "back\\slash", "new\nline"])
def test_sqlfiles_sql_literal_round_trips(text):
    literal = sqlfiles.sql_literal(text)
    assert duckdb.connect().execute(f"SELECT {literal}").fetchone() == (text,)
