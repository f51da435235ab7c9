-- One UTC day's normalised events from the history store, for the Parquet history
-- (advisor/nightly/parquet.py): rows with $start <= ts < $end, as stored.
COPY (
    SELECT
        source, src_table, src_rowid, run_id, ts, host, role, kind, old_state, new_state,
        state, outcome, status, retry_after_s, elapsed_ms, reset_timeout_s, error, manual, scope
    FROM hist.events
    WHERE ts >= $start AND ts < $end
    ORDER BY ts, source, src_table, src_rowid
) TO $path (FORMAT parquet)
