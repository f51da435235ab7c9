-- Half-open trials sent before the deadline of the host's latest Retry-After
-- (ts of the call that carried it + retry_after_s: the server's wait holds for every
-- breaker of the host), per host (or, with $by_breaker, per breaker), inside the window.
WITH deadlines AS (
    SELECT host, ts, ts + to_microseconds((retry_after_s * 1e6)::BIGINT) AS until
    FROM events
    WHERE kind = 'call' AND retry_after_s > 0 AND retry_after_s <= 1e7 AND ts <= $end
)
SELECT t.host, CASE WHEN $by_breaker THEN t.breaker_role END AS breaker_role,
    count(*) AS early_probes
FROM half_open_trials AS t
ASOF JOIN deadlines AS d ON d.host = t.host AND d.ts < t.ts
WHERE t.ts < d.until
GROUP BY ALL
