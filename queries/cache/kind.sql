-- What the attached file is: 'cache', NULL for another store, no row for an empty file.
SELECT max(CASE WHEN key = 'kind' THEN value END) FROM hist.store_meta
