-- Rows to drop because another source holds the same event (a copied manifest).
-- Only runs seen in more than one source can hold copies, so the keyed comparison
-- is limited to those. Rows are keyed by (run_id, ts, host, kind, states, outcome);
-- the k-th copy of a key is kept once (from the first source), so genuine repeats
-- within one file survive.
CREATE OR REPLACE TEMP TABLE duplicate_rows AS
WITH shared_runs AS (
    SELECT run_id
    FROM (SELECT DISTINCT source, run_id FROM event_rows)
    GROUP BY run_id
    HAVING count(*) > 1
),
candidates AS (
    SELECT
        rowid AS row_id, source, src_table, src_rowid, run_id, ts, host, kind,
        old_state, new_state, state, outcome
    FROM event_rows
    WHERE run_id IN (SELECT run_id FROM shared_runs)
        OR (run_id IS NULL AND EXISTS (SELECT 1 FROM shared_runs WHERE run_id IS NULL))
),
numbered AS (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY source, run_id, ts, host, kind, old_state, new_state, state, outcome
            ORDER BY src_table, src_rowid
        ) AS copy_index
    FROM candidates
)
SELECT row_id
FROM numbered
QUALIFY row_number() OVER (
    PARTITION BY run_id, ts, host, kind, old_state, new_state, state, outcome, copy_index
    ORDER BY source, src_table, src_rowid
) > 1
