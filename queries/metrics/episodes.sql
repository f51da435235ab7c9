-- Outage episodes: from a closed -> open transition to the next -> closed transition
-- of the same breaker (run, host and `breaker_role`); every open/half_open cycle in
-- between belongs to it.
-- Episodes that start inside the window; unfinished at $end = censored there (or at
-- the run's last event when the run ended earlier).
-- A transition with no recorded old state takes the previous transition's new state
-- (or `closed` when it is the first one seen).
CREATE OR REPLACE TEMP TABLE episodes AS
WITH transitions AS (
    SELECT
        run_id, host, breaker_role, ts, new_state, manual,
        coalesce(old_state, lag(new_state) OVER w, 'closed') AS prev_state,
        row_number() OVER w AS seq
    FROM events
    WHERE kind = 'transition' AND ts <= $end
    WINDOW w AS (
        PARTITION BY coalesce(run_id, ''), host, breaker_role
        ORDER BY ts, source, src_table, src_rowid
    )
),
numbered AS (
    SELECT
        *,
        sum(CASE WHEN new_state = 'open' AND prev_state = 'closed' THEN 1 ELSE 0 END) OVER (
            PARTITION BY coalesce(run_id, ''), host, breaker_role
            ORDER BY seq ROWS UNBOUNDED PRECEDING
        ) AS episode
    FROM transitions
),
staged_closes AS (
    SELECT
        *,
        count(*) FILTER (WHERE new_state = 'closed') OVER (
            PARTITION BY coalesce(run_id, ''), host, breaker_role, episode
            ORDER BY seq ROWS UNBOUNDED PRECEDING
        ) AS closes_so_far
    FROM numbered
    WHERE episode > 0
),
per_episode AS (
    SELECT
        run_id, host, breaker_role, episode,
        min(ts) AS started_at,
        min(ts) FILTER (WHERE new_state = 'closed') AS ended_at,
        count(*) FILTER (WHERE new_state = 'open' AND closes_so_far = 0) AS opens,
        bool_or(manual) FILTER (WHERE closes_so_far = 0 OR new_state = 'closed') AS manual
    FROM staged_closes
    GROUP BY run_id, host, breaker_role, episode
)
SELECT
    e.run_id,
    e.host,
    e.breaker_role,
    e.started_at,
    e.ended_at,
    e.ended_at IS NULL AS censored,
    e.opens,
    e.manual,
    (epoch_us(coalesce(e.ended_at, least($end, coalesce(r.last_ts, $end)))) - epoch_us(e.started_at)) / 1e6
        AS duration_s
FROM per_episode AS e
LEFT JOIN run_ends AS r ON r.run_key = coalesce(e.run_id, '')
WHERE e.started_at >= $start
ORDER BY e.host, e.breaker_role NULLS FIRST, e.started_at
