-- The tables of the attached store (to check it is a history store of this version).
SELECT table_name FROM duckdb_tables() WHERE database_name = $alias
