-- Every stay in `open` that overlaps the window: from an entry into open to that
-- breaker's next transition (same run, host and `breaker_role`: a host's breaker and a
-- role's own breaker interleave), clipped at $end (then `censored`) -- or at the run's
-- last event when the run ended earlier (its breaker ended with it).
-- `in_window`: the open itself happened inside the window (it counts in `opens`
-- and `open_duration_s`); `overlap_s`: its part inside the window (`open_time_s`).
CREATE OR REPLACE TEMP TABLE open_intervals AS
WITH transitions AS (
    SELECT
        run_id, host, breaker_role, ts, new_state, manual, reset_timeout_s,
        lead(ts) OVER w AS next_ts,
        lead(new_state) OVER w AS next_state
    FROM events
    WHERE kind = 'transition' AND ts <= $end
    WINDOW w AS (
        PARTITION BY coalesce(run_id, ''), host, breaker_role
        ORDER BY ts, source, src_table, src_rowid
    )
),
bounded AS (
    SELECT t.*, coalesce(t.next_ts, least($end, coalesce(r.last_ts, $end))) AS stop
    FROM transitions AS t
    LEFT JOIN run_ends AS r ON r.run_key = coalesce(t.run_id, '')
    WHERE t.new_state = 'open'
)
SELECT
    run_id,
    host,
    breaker_role,
    ts AS opened_at,
    next_ts AS ended_at,
    next_state,
    next_ts IS NULL AS censored,
    ts >= $start AS in_window,
    manual,
    reset_timeout_s,
    (epoch_us(stop) - epoch_us(ts)) / 1e6 AS duration_s,
    (epoch_us(stop) - epoch_us(greatest(ts, $start))) / 1e6 AS overlap_s
FROM bounded
WHERE stop > $start OR (ts >= $start AND stop >= ts)
ORDER BY host, breaker_role NULLS FIRST, opened_at
