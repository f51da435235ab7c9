-- Stretches of time each host's breakers were not closed (open or half-open; each
-- breaker's stays from its own transitions, `breaker_role`), clipped to the window
-- (and, like open_intervals.sql, to the last event of a run that stopped), for the
-- state timelines. Stays that touch or lie closer than $gap_us to each
-- other are merged into one band (an outage's open/half-open cycles become one band), so
-- a host has at most window / $gap_us bands however many transitions it logged.
WITH transitions AS (
    SELECT
        host, ts, new_state, coalesce(run_id, '') AS run_key,
        lead(ts) OVER (
            PARTITION BY coalesce(run_id, ''), host, breaker_role
            ORDER BY ts, source, src_table, src_rowid
        ) AS next_ts
    FROM events
    WHERE kind = 'transition' AND ts <= $end AND host IN (SELECT unnest($hosts::VARCHAR[]))
),
bounded AS (
    SELECT t.*, coalesce(t.next_ts, least($end, coalesce(r.last_ts, $end))) AS stop
    FROM transitions AS t
    LEFT JOIN run_ends AS r USING (run_key)
),
stays AS (
    SELECT
        host,
        new_state AS state,
        epoch_us(greatest(ts, $start)) AS t0,
        epoch_us(stop) AS t1,
        next_ts IS NULL AS censored
    FROM bounded
    WHERE new_state <> 'closed' AND stop >= $start
),
marked AS (
    SELECT
        *,
        CASE
            WHEN t0 - max(t1) OVER (
                PARTITION BY host ORDER BY t0, t1 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
            ) <= $gap_us THEN 0
            ELSE 1
        END AS starts_band
    FROM stays
),
banded AS (
    SELECT
        *,
        sum(starts_band) OVER (PARTITION BY host ORDER BY t0, t1 ROWS UNBOUNDED PRECEDING) AS band
    FROM marked
)
SELECT
    host,
    min(t0) / 1000 AS start_ms,
    max(t1) / 1000 AS end_ms,
    count(*) FILTER (WHERE state = 'open') AS opens,
    coalesce(sum(t1 - t0) FILTER (WHERE state = 'open'), 0) / 1e6 AS open_s,
    count(*) FILTER (WHERE state = 'half_open') AS half_opens,
    bool_or(censored) AS censored
FROM banded
GROUP BY host, band
ORDER BY host, start_ms
