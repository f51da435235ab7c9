-- Table macro over `events` (created once `events` exists, by compute_relations).
-- Runs of consecutive failures among calls admitted while the breaker was closed, per
-- breaker (run, host, `breaker_role`), inside [window_start, window_end], for the hosts
-- in wanted_hosts; one row per streak with what ended it: 'success', 'open' (closed ->
-- open) or NULL (the data ended). Read by the rules (failure_streaks.sql) and the report
-- (report_failure_streaks.sql). Each failure is matched to the next ender of its
-- breaker (ASOF join on a 64-bit hash of run, host and breaker role, cheaper to sort
-- than strings);
-- a streak is the failures that share an ender. `pos` orders one instant as failure,
-- then open, then success.
CREATE OR REPLACE MACRO failure_streaks(window_start, window_end, wanted_hosts) AS TABLE
WITH seq AS MATERIALIZED (
    SELECT
        hash(run_id, host, breaker_role) AS run_host,
        host,
        breaker_role,
        epoch_us(ts) * 4
            + CASE WHEN kind = 'transition' THEN 1 WHEN outcome = 'failure' THEN 0 ELSE 2 END
            AS pos,
        CASE WHEN kind = 'transition' THEN 'open' ELSE outcome::VARCHAR END AS what
    FROM events
    WHERE ts BETWEEN window_start AND window_end
        AND host IN (SELECT unnest(wanted_hosts))
        AND ((kind = 'call' AND state = 'closed' AND outcome IN ('success', 'failure'))
            OR (kind = 'transition' AND old_state = 'closed' AND new_state = 'open'))
),
failures AS (
    SELECT run_host, host, breaker_role, pos FROM seq WHERE what = 'failure'
),
enders AS (
    SELECT run_host, pos, what FROM seq WHERE what <> 'failure'
)
SELECT
    f.host,
    f.breaker_role,
    count(*) AS length,
    make_timestamp(min(f.pos) // 4)::TIMESTAMPTZ AS started_at,
    make_timestamp(max(f.pos) // 4)::TIMESTAMPTZ AS last_at,
    any_value(e.what) AS ended_by,
    make_timestamp(e.pos // 4)::TIMESTAMPTZ AS ended_at
FROM failures AS f
ASOF LEFT JOIN enders AS e
    ON e.run_host = f.run_host AND e.pos >= f.pos
GROUP BY f.run_host, f.host, f.breaker_role, e.pos;
