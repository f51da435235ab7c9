-- When each run's breakers ended: its last event (a breaker left open by a run that
-- stopped is not open after that). Only runs that recorded calls can show that they
-- stopped; transition-only telemetry gets no row (its open stays open until $end).
-- Runs without a run_id form one run.
CREATE OR REPLACE TEMP TABLE run_ends AS
SELECT coalesce(run_id, '') AS run_key, max(ts) AS last_ts
FROM events
GROUP BY 1
HAVING count(*) FILTER (WHERE kind = 'call') > 0
