-- The pybreaker listener trap (DESIGN.md): a success logged with state `closed` that is
-- the first call of that host at or right after a half_open -> closed transition
-- (within 1 s) was the half-open trial that closed the breaker.
UPDATE events SET state = 'half_open', inferred_half_open = true
FROM (
    SELECT c.rowid AS call_rowid
    FROM (
        SELECT host, coalesce(run_id, '') AS run_key, ts
        FROM events
        WHERE kind = 'transition' AND old_state = 'half_open' AND new_state = 'closed'
    ) AS t
    ASOF JOIN (
        SELECT rowid, host, coalesce(run_id, '') AS run_key, ts, outcome, state
        FROM events
        WHERE kind = 'call' AND outcome <> 'rejected'
    ) AS c
        ON c.host = t.host AND c.run_key = t.run_key AND c.ts >= t.ts - INTERVAL 1 MILLISECOND
    WHERE c.outcome = 'success' AND c.state = 'closed' AND c.ts <= t.ts + INTERVAL 1 SECOND
) AS fix
WHERE events.rowid = fix.call_rowid
