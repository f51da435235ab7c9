-- The schema version the store was created with.
SELECT value FROM hist.store_meta WHERE key = 'schema_version'
