-- The warehouse's own description: one row per table and view (column '', its grain as the
-- comment), then one per column, in declaration order. DuckDB's internal catalog views are
-- left out.
SELECT name, column_name, data_type, comment FROM (
    SELECT table_name AS name, '' AS column_name, 'TABLE' AS data_type,
           coalesce(comment, '') AS comment, -1 AS position
    FROM duckdb_tables() WHERE schema_name = 'main' AND NOT internal
      AND database_name = current_database()
    UNION ALL
    SELECT view_name, '', 'VIEW', coalesce(comment, ''), -1
    FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal
      AND database_name = current_database()
    UNION ALL
    SELECT table_name, column_name, data_type, coalesce(comment, ''), column_index
    FROM duckdb_columns() WHERE schema_name = 'main' AND NOT internal
      AND database_name = current_database()
)
ORDER BY name, position
