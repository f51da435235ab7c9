-- staged -> the `events` relation of DESIGN.md. Problem rows are dropped. An event
-- found in several sources (a copied manifest) counts once: rows are keyed by
-- (run_id, ts, host, kind, states, outcome), and for a key present in more than one
-- source the k-th copy is kept once, so genuine repeats within one file survive.
CREATE OR REPLACE TEMP TABLE events AS
WITH good AS (
    SELECT
        *,
        hash(run_id, ts, host, kind, old_state, new_state, state, outcome) AS event_key
    FROM staged
    WHERE problem IS NULL
),
shared_keys AS (
    SELECT event_key FROM good GROUP BY event_key HAVING count(DISTINCT source) > 1
),
unique_rows AS (
    SELECT * FROM good ANTI JOIN shared_keys USING (event_key)
),
shared_numbered AS (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY source, run_id, ts, host, kind, old_state, new_state, state, outcome
            ORDER BY src_table, src_rowid
        ) AS copy_index
    FROM good SEMI JOIN shared_keys USING (event_key)
),
shared_rows AS (
    SELECT * EXCLUDE (copy_index) FROM shared_numbered
    QUALIFY row_number() OVER (
        PARTITION BY run_id, ts, host, kind, old_state, new_state, state, outcome, copy_index
        ORDER BY source, src_table, src_rowid
    ) = 1
)
SELECT
    source, src_table, src_rowid, run_id, ts, host, role, kind, old_state, new_state,
    state, outcome, status, retry_after_s, elapsed_ms, reset_timeout_s, error, manual,
    false AS inferred_half_open
FROM (SELECT * FROM unique_rows UNION ALL SELECT * FROM shared_rows)
