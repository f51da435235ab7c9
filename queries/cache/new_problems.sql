-- This run's bad rows (flagged in event_rows), kept by the cache so that each analysis
-- counts and names them as a fresh read of the sources would.
CREATE TABLE new_problems AS
SELECT source::VARCHAR AS source, src_table::VARCHAR AS src_table, src_rowid, problem
FROM event_rows
WHERE problem IS NOT NULL
