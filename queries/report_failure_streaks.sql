-- Distribution of failure-streak lengths per host: runs of consecutive failures among
-- calls admitted while the breaker was closed, inside the window (same definition as
-- failure_streaks.sql, which the rules read streak by streak). Each streak is ended by
-- a success, by the breaker opening (closed -> open), or by the end of the data
-- (`ended_by` success | open | end). Lengths above $max_length count as $max_length.
WITH seq AS (
    SELECT
        coalesce(run_id, '') AS run_key, host, ts,
        CASE WHEN kind = 'transition' THEN 'open' ELSE outcome::VARCHAR END AS what
    FROM events
    WHERE ts BETWEEN $start AND $end
        AND host IN (SELECT unnest($hosts::VARCHAR[]))
        AND ((kind = 'call' AND state = 'closed' AND outcome IN ('success', 'failure'))
            OR (kind = 'transition' AND old_state = 'closed' AND new_state = 'open'))
),
marked AS (
    -- Numbered by the enders still to come (a running count from the end), a streak
    -- and the row that ends it share `grp`.
    SELECT
        *,
        sum(CASE WHEN what = 'failure' THEN 0 ELSE 1 END) OVER (
            PARTITION BY run_key, host
            ORDER BY ts DESC, CASE what WHEN 'failure' THEN 0 WHEN 'open' THEN 1 ELSE 2 END DESC
            ROWS UNBOUNDED PRECEDING
        ) AS grp
    FROM seq
),
streaks AS (
    SELECT
        host,
        count(*) FILTER (WHERE what = 'failure') AS length,
        coalesce(max(what) FILTER (WHERE what <> 'failure'), 'end') AS ended_by
    FROM marked
    GROUP BY run_key, host, grp
)
SELECT host, least(length, $max_length) AS length, ended_by, count(*) AS streaks
FROM streaks
WHERE length > 0
GROUP BY ALL
ORDER BY host, length, ended_by
