-- Rows that could not be normalised, per source, table and reason, with example rowids.
SELECT
    source::VARCHAR AS source,
    src_table::VARCHAR AS src_table,
    problem,
    count(*) AS rows_,
    list(src_rowid ORDER BY src_rowid)[1:3] AS example_rowids
FROM event_rows
WHERE problem IS NOT NULL
GROUP BY ALL
ORDER BY source, src_table, rows_ DESC, problem
