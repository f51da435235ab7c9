-- The pybreaker listener trap (DESIGN.md): pybreaker closes a half-open breaker before
-- it calls the listeners' success(), so a listener reading the breaker's state logs the
-- trial that closed it as `closed`. Such a success is the trial of its half-open period
-- only when
--   * it is the first call of that breaker (one that reached the host: rejected rows do
--     not count) at or after the `half_open -> closed` transition, within 1 s of it
--     (1 ms earlier is accepted: timestamp encodings round), and
--   * no call of that half-open period was logged as `half_open` (a correctly ordered
--     log already names its trial, and the calls after the close are ordinary calls).
--     The period runs from the breaker's previous transition (normally
--     `open -> half_open`; the instant itself included only for an entry into
--     half_open; no lower bound when the close is its first transition) to its next
--     one: between the close and the next transition the breaker is closed, so a call
--     logged `half_open` there was admitted before the close (advisor.telemetry logs
--     the admitting state after pybreaker's close).
-- "That breaker" is the run and host, and the role when that role has a breaker of its
-- own there (the runtime keeps a separate breaker for a role tuned differently: known
-- from transitions carrying the role in that run, or from the configuration); a call
-- whose role has no breaker of its own belongs to the host's breaker. `role_breakers`
-- is the same definition as `breaker_roles` in events/view.sql (which runs after this
-- repair). Equal timestamps are ordered by source, table and row.
-- Candidate calls are first narrowed to the seconds around the closes (a cheap hash
-- semi-join). Rows in duplicate_rows (copies about to be dropped) take no part.
-- Fills half_open_fixes with the rowids of `event_rows` to mark.
CREATE OR REPLACE TEMP TABLE half_open_fixes AS
WITH transitions AS MATERIALIZED (
    SELECT
        rowid AS row_id, host, coalesce(run_id, '') AS run_key, coalesce(role, '') AS role,
        old_state, new_state, ts,
        lag(ts) OVER breaker AS prev_ts,
        lag(new_state) OVER breaker AS prev_state,
        lead(ts) OVER breaker AS next_ts
    FROM event_rows
    WHERE kind = 'transition'::event_kind AND rowid NOT IN (SELECT row_id FROM duplicate_rows)
    WINDOW breaker AS (
        PARTITION BY host, coalesce(run_id, ''), coalesce(role, '')
        ORDER BY ts, source, src_table, src_rowid
    )
),
role_breakers AS (
    SELECT DISTINCT host, coalesce(run_id, '') AS run_key, role
    FROM event_rows
    WHERE role <> '' AND (kind = 'transition'::event_kind OR configured_breaker(host, role))
),
closes AS (
    SELECT
        row_id AS close_id, host, run_key, role AS breaker, ts, prev_ts, prev_state,
        coalesce(next_ts, 'infinity'::TIMESTAMPTZ) AS next_ts,
        floor(epoch(ts))::BIGINT AS second
    FROM transitions
    WHERE old_state = 'half_open' AND new_state = 'closed'
),
-- Calls logged `half_open`, with the breaker they belong to.
logged_trials AS (
    SELECT e.host, coalesce(e.run_id, '') AS run_key, coalesce(b.role, '') AS breaker, e.ts
    FROM event_rows AS e
    LEFT JOIN role_breakers AS b
        ON b.host = e.host AND b.run_key = coalesce(e.run_id, '') AND b.role = e.role
    WHERE e.state = 'half_open'::breaker_state AND e.kind = 'call'::event_kind
        AND e.outcome <> 'rejected'::call_outcome
        AND e.rowid NOT IN (SELECT row_id FROM duplicate_rows)
),
-- Closes whose half-open period has no call logged `half_open`: the latest such call
-- up to the next transition lies before the period.
unnamed AS (
    SELECT c.*
    FROM closes AS c
    ASOF LEFT JOIN logged_trials AS l
        ON l.host = c.host AND l.run_key = c.run_key AND l.breaker = c.breaker
        AND l.ts <= c.next_ts
    WHERE l.ts IS NULL
        OR l.ts < c.prev_ts
        OR (l.ts = c.prev_ts AND c.prev_state IS DISTINCT FROM 'half_open')
),
-- The seconds a call within [close - 1 ms, close + 1 s] can fall in.
close_seconds AS (
    SELECT
        close_id, host, run_key, breaker, ts,
        unnest([second - 1, second, second + 1]) AS second
    FROM unnamed
),
candidates AS (
    SELECT
        e.rowid AS row_id, e.host, coalesce(e.run_id, '') AS run_key,
        coalesce(b.role, '') AS breaker, floor(epoch(e.ts))::BIGINT AS second,
        e.ts, e.state, e.outcome, e.source, e.src_table, e.src_rowid
    FROM event_rows AS e
    SEMI JOIN close_seconds AS s
        ON s.host = e.host AND s.run_key = coalesce(e.run_id, '')
        AND s.second = floor(epoch(e.ts))::BIGINT
    LEFT JOIN role_breakers AS b
        ON b.host = e.host AND b.run_key = coalesce(e.run_id, '') AND b.role = e.role
    WHERE e.kind = 'call'::event_kind AND e.outcome <> 'rejected'::call_outcome
        AND e.rowid NOT IN (SELECT row_id FROM duplicate_rows)
),
first_calls AS (
    SELECT c.row_id, c.state, c.outcome
    FROM close_seconds AS t
    JOIN candidates AS c
        ON c.host = t.host AND c.run_key = t.run_key AND c.breaker = t.breaker
        AND c.second = t.second
        AND c.ts >= t.ts - INTERVAL 1 MILLISECOND AND c.ts <= t.ts + INTERVAL 1 SECOND
    QUALIFY row_number() OVER (
        PARTITION BY t.close_id ORDER BY c.ts, c.source, c.src_table, c.src_rowid
    ) = 1
)
SELECT DISTINCT row_id
FROM first_calls
WHERE state = 'closed' AND outcome = 'success'
