-- Transitions of the window (plus the one in force at its start), with their breaker
-- (`breaker_role`), for the rules engine.
SELECT host, breaker_role, coalesce(run_id, '') AS run_key, ts, old_state, new_state,
    reset_timeout_s, manual
FROM events
WHERE kind = 'transition' AND ts <= $end
  AND ($hosts IS NULL OR host IN (SELECT unnest($hosts::VARCHAR[])))
  AND ts >= $start - INTERVAL 1 DAY
ORDER BY host, breaker_role NULLS FIRST, run_key, ts
