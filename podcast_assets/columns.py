"""How a warehouse table is declared: its columns, grain, comment and Arrow schema.

The `schema` package declares the tables with these; DDL, comments, Arrow inserts, the UI's column
schema and the README's reference are all derived from them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str  # DuckDB type
    description: str
    nullable: bool = True


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    grain: str  # first line of every description: what one row is
    description: str
    columns: tuple[Column, ...]
    partitioned: bool = True  # rows are owned by one partition (one raw file)
    key: str = "episode_id"  # the column holding that partition's key

    @property
    def comment(self) -> str:
        return f"{self.grain} {self.description}".strip()

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def arrow_schema(self) -> pa.Schema:
        return pa.schema(
            [pa.field(c.name, _ARROW_TYPES[c.type], nullable=c.nullable) for c in self.columns]
        )


_ARROW_TYPES: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
    "VARCHAR[]": pa.list_(pa.string()),
    "JSON": pa.string(),
}
