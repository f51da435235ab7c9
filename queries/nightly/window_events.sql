-- The analysed night's `event_rows`: stored rows of the window (plus $lookback before it,
-- so stays that began earlier are seen) except those of re-read sources, and the rows
-- staged by this run (`new_rows`), typed like queries/events/schema.sql.
CREATE TABLE event_rows AS
WITH rows AS (
    SELECT * FROM hist.events AS e
    WHERE e.ts BETWEEN $from AND $end
        AND NOT EXISTS (
            SELECT 1 FROM replaced AS r WHERE r.source = e.source AND r.src_table = e.src_table
        )
    UNION ALL BY NAME
    SELECT * EXCLUDE (problem, inferred_half_open) FROM new_rows WHERE ts BETWEEN $from AND $end
)
SELECT
    source, src_table, src_rowid, NULL::VARCHAR AS problem, run_id, ts, host, role,
    kind::event_kind AS kind, old_state::breaker_state AS old_state,
    new_state::breaker_state AS new_state, state::breaker_state AS state,
    outcome::call_outcome AS outcome, status, retry_after_s, elapsed_ms, reset_timeout_s,
    error, manual, scope, false AS inferred_half_open
FROM rows
ORDER BY ts, source, src_table, src_rowid
