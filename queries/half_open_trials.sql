-- Calls that reached the host while its breaker was half-open, inside the window.
CREATE OR REPLACE TEMP TABLE half_open_trials AS
SELECT run_id, host, ts, role, outcome, status, retry_after_s, elapsed_ms, error,
    inferred_half_open, source
FROM events
WHERE kind = 'call' AND state = 'half_open' AND outcome <> 'rejected'
    AND ts BETWEEN $start AND $end
ORDER BY host, ts
