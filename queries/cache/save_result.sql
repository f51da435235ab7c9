-- Store (or refresh) a result by key.
INSERT OR REPLACE INTO hist.cache_results VALUES ($key, $value, $used_at)
