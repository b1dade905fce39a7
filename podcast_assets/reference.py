"""The README's table reference, rendered from the declarations in `schema/`, `search.py`
and `views.py`.

`python -m podcast_assets.reference` rewrites it between the README's schema markers; a test
fails when it is out of date.
"""

from __future__ import annotations

import re
from pathlib import Path

from podcast_assets.schema import TABLES
from podcast_assets.search import SEARCH_PASSAGES
from podcast_assets.views import VIEWS


def schema_markdown() -> str:
    """The README's table reference, generated so that it cannot drift from the code."""
    parts: list[str] = []
    # search_passages is built whole by the search_index asset, not per partition.
    for table in (*TABLES, SEARCH_PASSAGES):
        parts.append(f"### `{table.name}`\n\n{table.comment}\n")
        parts.append("| column | type | meaning |\n|---|---|---|")
        for c in table.columns:
            not_null = " NOT NULL" if not c.nullable else ""
            parts.append(f"| `{c.name}` | {c.type}{not_null} | {c.description} |")
        parts.append("")
    parts.append("### Views\n")
    parts.extend(f"- `{v.name}`: {v.grain}" for v in VIEWS)
    return "\n".join(parts).rstrip() + "\n"


def update_readme(readme: str = "README.md") -> None:
    """Rewrite the README's table reference between its schema markers."""
    path = Path(readme)
    text = path.read_text(encoding="utf-8")
    new = re.sub(
        r"(<!-- schema:start -->\n).*?(<!-- schema:end -->)",
        lambda m: m.group(1) + schema_markdown() + m.group(2),
        text,
        flags=re.S,
    )
    path.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    update_readme()
