-- One value of the cache's store_meta.
SELECT value FROM hist.store_meta WHERE key = $key
