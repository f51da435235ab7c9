-- The half-open trials (`events.trial`) inside the window, with their breaker.
CREATE OR REPLACE TEMP TABLE half_open_trials AS
SELECT run_id, host, breaker_role, ts, role, outcome, status, retry_after_s, elapsed_ms, error,
    inferred_half_open, source
FROM events
WHERE trial AND ts BETWEEN $start AND $end
ORDER BY host, ts
