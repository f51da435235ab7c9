-- What decides a whole analysis besides the cache's generation: the newest credible
-- event of this run's source tables (for --until latest) and how many of their events
-- lie after $not_after (bad rows of this analysis, credible later on).
WITH wanted AS (
    SELECT unnest($sources::VARCHAR[]) AS source, unnest($tables::VARCHAR[]) AS src_table
)
SELECT
    max(ts) FILTER (WHERE isfinite(ts) AND ts <= $not_after),
    count(*) FILTER (WHERE NOT isfinite(ts) OR ts > $not_after)
FROM hist.events AS e SEMI JOIN wanted AS w USING (source, src_table)
