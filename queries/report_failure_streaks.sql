-- Distribution of failure-streak lengths per host: runs of consecutive failures among
-- calls admitted while the breaker was closed, inside the window (the definition of
-- failure_streaks.sql, which the rules read streak by streak). A streak is ended by a
-- success, by the breaker opening (closed -> open), or by the end of the data
-- (`ended_by` success | open | end); lengths above $max_length count as $max_length.
-- Each failure is matched to the next ender of its host and run (ASOF join on a 64-bit
-- hash of run and host, cheaper to sort than the strings); streaks are the failures that
-- share an ender. `pos` orders one instant as failure, then open, then success.
WITH seq AS MATERIALIZED (
    SELECT
        hash(run_id, host) AS run_host,
        host,
        epoch_us(ts) * 4
            + CASE WHEN kind = 'transition' THEN 1 WHEN outcome = 'failure' THEN 0 ELSE 2 END
            AS pos,
        CASE WHEN kind = 'transition' THEN 'open' ELSE outcome::VARCHAR END AS what
    FROM events
    WHERE ts BETWEEN $start AND $end
        AND host IN (SELECT unnest($hosts::VARCHAR[]))
        AND ((kind = 'call' AND state = 'closed' AND outcome IN ('success', 'failure'))
            OR (kind = 'transition' AND old_state = 'closed' AND new_state = 'open'))
),
failures AS (
    SELECT run_host, host, pos FROM seq WHERE what = 'failure'
),
enders AS (
    SELECT run_host, pos, what FROM seq WHERE what <> 'failure'
),
streaks AS (
    SELECT f.host, count(*) AS length, coalesce(any_value(e.what), 'end') AS ended_by
    FROM failures AS f
    ASOF LEFT JOIN enders AS e
        ON e.run_host = f.run_host AND e.pos >= f.pos
    GROUP BY f.run_host, f.host, e.pos
)
SELECT host, least(length, $max_length) AS length, ended_by, count(*) AS streaks
FROM streaks
GROUP BY ALL
ORDER BY host, length, ended_by
