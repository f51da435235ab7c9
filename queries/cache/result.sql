-- A stored result by key.
SELECT value FROM hist.cache_results WHERE key = $key
