"""The Dagster layer: one file per kind of definition, merged in `podcast_assets.definitions`."""
