-- Retention: events before $keep_from; results not used since $results_from, and all but
-- the $keep_results most recently used (a moving window never meets its old keys again).
DELETE FROM hist.events WHERE ts < $keep_from;
DELETE FROM hist.cache_results WHERE used_at < $results_from;
DELETE FROM hist.cache_results WHERE key NOT IN (
    SELECT key FROM hist.cache_results ORDER BY used_at DESC, key LIMIT $keep_results
);
