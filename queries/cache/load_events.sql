-- The analysis's `event_rows` from the cache: the stored rows and bad rows of this run's
-- readable source tables ($sources[i], $tables[i]; rows of other files or tables the
-- cache holds are left out), typed like queries/events/schema.sql, as a fresh read
-- stages them (then counted, flagged and finalised by advisor.ingest.events).
CREATE TABLE event_rows AS
WITH wanted AS (
    SELECT unnest($sources::VARCHAR[]) AS source, unnest($tables::VARCHAR[]) AS src_table
),
rows AS (
    SELECT e.*, NULL::VARCHAR AS problem
    FROM hist.events AS e SEMI JOIN wanted AS w USING (source, src_table)
    UNION ALL BY NAME
    SELECT p.* FROM hist.cache_problems AS p SEMI JOIN wanted AS w USING (source, src_table)
)
SELECT
    source::source_path AS source, src_table::source_table AS src_table, src_rowid, problem,
    run_id, ts, host, role, kind::event_kind AS kind, old_state::breaker_state AS old_state,
    new_state::breaker_state AS new_state, state::breaker_state AS state,
    outcome::call_outcome AS outcome, status, retry_after_s, elapsed_ms, reset_timeout_s,
    error, manual, scope, false AS inferred_half_open
FROM rows
