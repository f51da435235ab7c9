-- Inside the run's transaction: drop the stored rows of re-read tables, append the
-- staged ones. Run with advisor.queries.run_script.
DELETE FROM hist.events AS e USING replaced AS r
WHERE e.source = r.source AND e.src_table = r.src_table;
INSERT INTO hist.events (
    source, src_table, src_rowid, run_id, ts, host, role, kind, old_state, new_state, state,
    outcome, status, retry_after_s, elapsed_ms, reset_timeout_s, error, manual, scope
)
SELECT
    source, src_table, src_rowid, run_id, ts, host, role, kind, old_state, new_state, state,
    outcome, status, retry_after_s, elapsed_ms, reset_timeout_s, error, manual, scope
FROM new_rows;
