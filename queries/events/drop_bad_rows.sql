-- Bad rows are counted and named (events/problems.sql) before they are dropped.
DELETE FROM event_rows WHERE problem IS NOT NULL
