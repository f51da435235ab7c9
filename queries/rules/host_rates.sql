-- Per host (or, with $by_breaker, per breaker: host and `breaker_role`): request
-- arrivals (calls that reached the host plus refused calls), failures by cause,
-- Retry-After values, first and last attempt, and the active time (docs/design.md
-- "Breakers, and the time they were active"): the sum of the gaps between consecutive
-- attempts that are at most the limit ($limit_s per $limit_hosts and $limit_roles, the
-- role NULL for a host or its own breaker; 600 s when unlisted).
WITH attempts AS (
    SELECT
        host, CASE WHEN $by_breaker THEN breaker_role END AS role, ts, outcome, status,
        retry_after_s
    FROM events
    WHERE kind = 'call' AND outcome IS NOT NULL AND ts BETWEEN $start AND $end
      AND ($hosts IS NULL OR host IN (SELECT unnest($hosts::VARCHAR[])))
),
gaps AS (
    SELECT *, epoch(ts) - epoch(lag(ts) OVER (PARTITION BY host, role ORDER BY ts)) AS gap_s
    FROM attempts
),
limits AS (
    SELECT
        unnest($limit_hosts::VARCHAR[]) AS host,
        unnest($limit_roles::VARCHAR[]) AS role,
        unnest($limit_s::DOUBLE[]) AS limit_s
)
SELECT
    a.host,
    a.role AS breaker_role,
    count(*) AS requests,
    count(*) FILTER (WHERE outcome = 'failure') AS failures,
    count(*) FILTER (WHERE outcome = 'failure' AND status = 429) AS failures_429,
    list(retry_after_s) FILTER (WHERE retry_after_s IS NOT NULL) AS retry_after_values,
    coalesce(sum(gap_s) FILTER (WHERE gap_s <= coalesce(l.limit_s, 600)), 0) AS active_s,
    min(ts) AS first_ts,
    max(ts) AS last_ts
FROM gaps AS a
LEFT JOIN limits AS l ON l.host = a.host AND l.role IS NOT DISTINCT FROM a.role
GROUP BY a.host, a.role
