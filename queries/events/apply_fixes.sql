-- Drop the copies found by events/duplicates.sql and flag the half-open trials found by
-- events/half_open_fix.sql; both temp tables go. Run with advisor.queries.run_script.
DELETE FROM event_rows WHERE rowid IN (SELECT row_id FROM duplicate_rows);
UPDATE event_rows SET inferred_half_open = true
WHERE rowid IN (SELECT row_id FROM half_open_fixes);
DROP TABLE duplicate_rows;
DROP TABLE half_open_fixes;
