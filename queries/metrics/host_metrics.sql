-- One row per host: every field of `hosts[].metrics` in the JSON contract, summed over
-- the host's breakers; with $by_breaker one row per breaker (host and `breaker_role`,
-- NULL for the host's own breaker): `hosts[].breakers[].metrics`.
WITH calls AS (
    SELECT
        host,
        CASE WHEN $by_breaker THEN breaker_role END AS role,
        count(*) FILTER (WHERE outcome IN ('success', 'failure', 'neutral')) AS calls,
        count(*) FILTER (WHERE outcome = 'success') AS successes,
        count(*) FILTER (WHERE outcome = 'failure') AS failures,
        count(*) FILTER (WHERE outcome = 'rejected') AS rejected,
        count(*) FILTER (WHERE outcome <> 'rejected' AND status = 429) AS status_429,
        count(*) FILTER (WHERE outcome <> 'rejected' AND status BETWEEN 500 AND 599) AS status_5xx,
        count(*) FILTER (
            WHERE outcome <> 'rejected'
              AND (status = 408
                  OR CASE WHEN error IS NULL THEN false
                      ELSE regexp_matches(error, '(?i)time[d ]?out') END)
        ) AS timeouts,
        count(*) FILTER (WHERE trial) AS half_open_trials,
        count(*) FILTER (WHERE trial AND outcome = 'success') AS half_open_successes,
        count(*) FILTER (WHERE trial AND outcome = 'failure') AS half_open_failures,
        count(retry_after_s) AS retry_after_count,
        quantile_cont(retry_after_s, 0.5) AS retry_after_p50,
        quantile_cont(retry_after_s, 0.9) AS retry_after_p90,
        max(retry_after_s) AS retry_after_max
    FROM events
    WHERE kind = 'call' AND ts BETWEEN $start AND $end
    GROUP BY ALL
),
opens AS (
    SELECT
        host,
        CASE WHEN $by_breaker THEN breaker_role END AS role,
        count(*) FILTER (WHERE in_window) AS opens,
        sum(overlap_s) AS open_time_s,
        quantile_cont(duration_s, 0.5) FILTER (WHERE in_window) AS open_p50,
        quantile_cont(duration_s, 0.9) FILTER (WHERE in_window) AS open_p90,
        max(duration_s) FILTER (WHERE in_window) AS open_max
    FROM open_intervals
    GROUP BY ALL
),
eps AS (
    SELECT
        host,
        CASE WHEN $by_breaker THEN breaker_role END AS role,
        count(*) AS episodes,
        quantile_cont(duration_s, 0.5) AS episode_p50,
        quantile_cont(duration_s, 0.9) AS episode_p90,
        max(duration_s) AS episode_max
    FROM episodes
    GROUP BY ALL
),
hosts AS (
    SELECT host, role FROM calls
    UNION SELECT host, role FROM opens
    UNION SELECT host, role FROM eps
)
SELECT
    h.host,
    h.role AS breaker_role,
    coalesce(c.calls, 0) AS calls,
    coalesce(c.successes, 0) AS successes,
    coalesce(c.failures, 0) AS failures,
    coalesce(c.rejected, 0) AS rejected,
    coalesce(c.failures / nullif(c.successes + c.failures, 0), 0.0) AS failure_rate,
    coalesce(c.status_429, 0) AS status_429,
    coalesce(c.status_5xx, 0) AS status_5xx,
    coalesce(c.timeouts, 0) AS timeouts,
    coalesce(o.opens, 0) AS opens,
    coalesce(o.open_time_s, 0.0) AS open_time_s,
    o.open_p50, o.open_p90, o.open_max,
    coalesce(e.episodes, 0) AS episodes,
    e.episode_p50, e.episode_p90, e.episode_max,
    coalesce(c.half_open_trials, 0) AS half_open_trials,
    coalesce(c.half_open_successes, 0) AS half_open_successes,
    coalesce(c.half_open_failures, 0) AS half_open_failures,
    c.half_open_successes
        / nullif(c.half_open_successes + c.half_open_failures, 0) AS half_open_success_rate,
    coalesce(c.retry_after_count, 0) AS retry_after_count,
    c.retry_after_p50, c.retry_after_p90, c.retry_after_max
FROM hosts AS h
LEFT JOIN calls AS c ON c.host = h.host AND c.role IS NOT DISTINCT FROM h.role
LEFT JOIN opens AS o ON o.host = h.host AND o.role IS NOT DISTINCT FROM h.role
LEFT JOIN eps AS e ON e.host = h.host AND e.role IS NOT DISTINCT FROM h.role
WHERE $hosts IS NULL OR h.host IN (SELECT unnest($hosts::VARCHAR[]))
ORDER BY h.host, h.role NULLS FIRST
