-- Each episode of the window with its breaker's half-open trials (seconds after the
-- open, outcome), in time order, for the rules engine.
SELECT
    e.host,
    e.breaker_role,
    e.started_at,
    e.duration_s,
    e.censored,
    e.manual,
    list((
        (epoch_us(t.ts) - epoch_us(e.started_at)) / 1e6, t.outcome::VARCHAR
    ) ORDER BY t.ts) FILTER (WHERE t.ts IS NOT NULL) AS probes
FROM episodes AS e
LEFT JOIN half_open_trials AS t
    ON t.host = e.host
    AND coalesce(t.run_id, '') = coalesce(e.run_id, '')
    AND t.breaker_role IS NOT DISTINCT FROM e.breaker_role
    AND t.ts >= e.started_at
    AND t.ts <= coalesce(e.ended_at, 'infinity'::TIMESTAMPTZ)
    AND t.outcome IN ('success', 'failure')
GROUP BY ALL
ORDER BY e.host, e.breaker_role NULLS FIRST, e.started_at
