"""Docs describe what exists: the README's table reference is generated from the schema."""

from __future__ import annotations

import re

from podcast_assets.reference import schema_markdown

from .conftest import REPO

README = REPO / "README.md"
MARKERS = re.compile(r"<!-- schema:start -->\n(.*?)<!-- schema:end -->", re.S)


def test_docs_readme_table_reference_matches_schema():
    match = MARKERS.search(README.read_text(encoding="utf-8"))
    assert match, "README lost its schema markers"
    assert match.group(1) == schema_markdown(), (
        "README tables are out of date: run `python -m podcast_assets.reference` to regenerate"
    )


def test_docs_readme_starts_with_run_and_test_then_other_make_targets():
    text = README.read_text(encoding="utf-8")
    block = text.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands[:2] == ["make run", "make test"]
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, re.M))
    assert {c.removeprefix("make ") for c in commands} <= targets
    assert "make ui" in commands


def test_docs_ci_calls_the_readme_test_command():
    assert "make test" in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_docs_readme_exit_codes_match_the_code():
    from podcast_assets.failures import EXIT_CODE_MEANINGS

    text = README.read_text(encoding="utf-8")
    block = text.split("<!-- exit-codes:start -->\n", 1)[1].split("<!-- exit-codes:end -->")[0]
    rows = [line for line in block.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert rows == [f"| {int(code)} | {meaning} |" for code, meaning in EXIT_CODE_MEANINGS.items()]


def test_docs_readme_environment_table_matches_settings():
    from podcast_assets.settings import settings_markdown

    text = README.read_text(encoding="utf-8")
    block = text.split("<!-- settings:start -->\n", 1)[1].split("<!-- settings:end -->")[0]
    assert block == settings_markdown()
