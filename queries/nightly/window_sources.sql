-- The sources with events in the night's window, their tables and event counts.
SELECT source, list(DISTINCT src_table ORDER BY src_table), count(*)
FROM events
WHERE ts BETWEEN $start AND $end
GROUP BY source
ORDER BY source
