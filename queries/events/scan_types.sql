-- The type DuckDB's sqlite scanner reads each column of the attached sources ($aliases)
-- as: one catalog query for every source.
SELECT database_name, table_name, column_name, data_type
FROM duckdb_columns()
WHERE list_contains($aliases, database_name)
