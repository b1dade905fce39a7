"""The two pipeline steps as plain functions: `ingest` (files -> episodes, segments) and
`extract` (segments -> mentions, quotes, topics). The Dagster assets, the benchmark and the
tests all run these."""

from podcast_assets.steps import extract, ingest

__all__ = ["extract", "ingest"]
