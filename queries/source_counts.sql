-- Per source: rows read and normalised, and how many of them another source also holds.
SELECT
    s.source,
    count(*) FILTER (WHERE s.problem IS NULL) AS events,
    count(*) FILTER (WHERE s.problem IS NOT NULL) AS skipped
FROM staged AS s
GROUP BY s.source
