-- The pybreaker listener trap (DESIGN.md): a success logged with state `closed` that is
-- the first such success of that host at or right after a half_open -> closed
-- transition (within 1 s) was the half-open trial that closed the breaker.
-- Candidates are first narrowed to the seconds around those transitions (a cheap
-- hash semi-join), then matched in time order (ASOF). Rows in duplicate_rows (copies
-- about to be dropped) take no part. Returns the rowids of `event_rows` to mark.
WITH closes AS (
    SELECT host, coalesce(run_id, '') AS run_key, ts, floor(epoch(ts))::BIGINT AS second
    FROM event_rows
    WHERE kind = 'transition' AND old_state = 'half_open' AND new_state = 'closed'
        AND rowid NOT IN (SELECT row_id FROM duplicate_rows)
),
close_seconds AS (
    SELECT host, run_key, second FROM closes
    UNION
    SELECT host, run_key, second + 1 FROM closes
    UNION
    SELECT host, run_key, second - 1 FROM closes
),
candidates AS (
    SELECT e.rowid AS row_id, e.host, coalesce(e.run_id, '') AS run_key, e.ts
    FROM event_rows AS e
    SEMI JOIN close_seconds AS s
        ON s.host = e.host AND s.run_key = coalesce(e.run_id, '')
        AND s.second = floor(epoch(e.ts))::BIGINT
    WHERE e.kind = 'call' AND e.outcome = 'success' AND e.state = 'closed'
        AND e.rowid NOT IN (SELECT row_id FROM duplicate_rows)
)
SELECT DISTINCT c.row_id
FROM closes AS t
ASOF JOIN candidates AS c
    ON c.host = t.host AND c.run_key = t.run_key AND c.ts >= t.ts - INTERVAL 1 MILLISECOND
WHERE c.ts <= t.ts + INTERVAL 1 SECOND
