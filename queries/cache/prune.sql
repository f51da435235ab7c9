-- Retention: events before $keep_from, and results not used since $results_from.
DELETE FROM hist.events WHERE ts < $keep_from;
DELETE FROM hist.cache_results WHERE used_at < $results_from;
