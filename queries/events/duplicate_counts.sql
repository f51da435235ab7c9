-- Per source, how many of its staged rows are copies dropped (events/duplicates.sql).
SELECT source::VARCHAR, count(*)
FROM event_rows
WHERE rowid IN (SELECT row_id FROM duplicate_rows)
GROUP BY ALL
