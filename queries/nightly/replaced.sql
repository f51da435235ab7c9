-- The source tables read again from the start ($sources[i], $tables[i]): their stored
-- rows are replaced (nightly/write_events.sql) and not read for the night.
CREATE TABLE replaced AS
SELECT unnest($sources::VARCHAR[]) AS source, unnest($tables::VARCHAR[]) AS src_table
