-- Per source: rows normalised into events, and rows skipped as problems.
SELECT
    source::VARCHAR AS source,
    count(*) FILTER (WHERE problem IS NULL) AS events,
    count(*) FILTER (WHERE problem IS NOT NULL) AS skipped
FROM event_rows
GROUP BY source
