-- Runs of consecutive failures among calls admitted while the breaker was closed,
-- per host (of $hosts) and run, inside the window, and what ended each run: a success, the
-- breaker opening (closed -> open), or the end of the data (NULL).
WITH seq AS (
    SELECT
        coalesce(run_id, '') AS run_key, host, ts,
        CASE WHEN kind = 'transition' THEN 'open' ELSE outcome::VARCHAR END AS what
    FROM events
    WHERE ts BETWEEN $start AND $end
      AND list_contains($hosts, host)
      AND ((kind = 'call' AND state = 'closed' AND outcome IN ('success', 'failure'))
           OR (kind = 'transition' AND old_state = 'closed' AND new_state = 'open'))
),
marked AS (
    SELECT
        *,
        sum(CASE WHEN what = 'failure' THEN 0 ELSE 1 END) OVER (
            PARTITION BY run_key, host
            ORDER BY ts, CASE what WHEN 'failure' THEN 0 WHEN 'open' THEN 1 ELSE 2 END
            ROWS UNBOUNDED PRECEDING
        ) AS grp
    FROM seq
),
streaks AS (
    SELECT run_key, host, grp, count(*) AS length, min(ts) AS started_at, max(ts) AS last_at
    FROM marked
    WHERE what = 'failure'
    GROUP BY ALL
),
enders AS (
    SELECT run_key, host, grp - 1 AS grp, min(ts) AS ended_at, arg_min(what, ts) AS ended_by
    FROM marked
    WHERE what <> 'failure'
    GROUP BY ALL
)
SELECT s.host, s.length, s.started_at, s.last_at, e.ended_by, e.ended_at
FROM streaks AS s
LEFT JOIN enders AS e USING (run_key, host, grp)
ORDER BY s.host, s.started_at
