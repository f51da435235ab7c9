-- Set one value of the cache's store_meta.
INSERT OR REPLACE INTO hist.store_meta VALUES ($key, $value)
