"""podcast-assets: raw podcast files in, a partitioned DuckDB warehouse out."""
