-- Per host: request arrivals (calls that reached the host plus refused calls), failures
-- by cause, Retry-After values, first and last attempt, and the host's active time (docs/design.md "Breakers,
-- and the time they were active"): the sum of the gaps between consecutive attempts
-- that are at most the host's limit ($limit_s per $limit_hosts; 600 s when unlisted).
WITH attempts AS (
    SELECT
        host, ts, outcome, status, retry_after_s,
        epoch(ts) - epoch(lag(ts) OVER (PARTITION BY host ORDER BY ts)) AS gap_s
    FROM events
    WHERE kind = 'call' AND outcome IS NOT NULL AND ts BETWEEN $start AND $end
      AND ($hosts IS NULL OR host IN (SELECT unnest($hosts::VARCHAR[])))
),
limits AS (
    SELECT unnest($limit_hosts::VARCHAR[]) AS host, unnest($limit_s::DOUBLE[]) AS limit_s
)
SELECT
    a.host,
    count(*) AS requests,
    count(*) FILTER (WHERE outcome = 'failure') AS failures,
    count(*) FILTER (WHERE outcome = 'failure' AND status = 429) AS failures_429,
    list(retry_after_s) FILTER (WHERE retry_after_s IS NOT NULL) AS retry_after_values,
    coalesce(sum(gap_s) FILTER (WHERE gap_s <= coalesce(l.limit_s, 600)), 0) AS active_s,
    min(ts) AS first_ts,
    max(ts) AS last_ts
FROM attempts AS a
LEFT JOIN limits AS l USING (host)
GROUP BY a.host
