-- Every call of the window to the hosts in $hosts, refused ones included, for the what-if
-- replay: the host's position in $hosts, a hash of its run, arrival time (microseconds
-- since the epoch), outcome code (0 success, 1 failure, 2 neutral, 3 refused), the
-- server's Retry-After in microseconds (0 when none) and the row's place in its source.
-- Unordered: the caller sorts (integers sort far faster in numpy than host names here).
WITH wanted AS (
    SELECT unnest($hosts) AS host, unnest(range(len($hosts)))::INTEGER AS host_id
)
SELECT
    w.host_id,
    hash(coalesce(e.run_id, '')) AS run_hash,
    epoch_us(e.ts) AS t_us,
    CASE e.outcome
        WHEN 'success' THEN 0 WHEN 'failure' THEN 1 WHEN 'neutral' THEN 2 ELSE 3
    END::TINYINT AS code,
    CAST(round(coalesce(greatest(e.retry_after_s, 0), 0) * 1e6) AS BIGINT) AS retry_after_us,
    hash(e.source::VARCHAR) AS source_id,  -- ties only; `source` is an ENUM or (nightly) text
    e.src_rowid
FROM events AS e
JOIN wanted AS w USING (host)
WHERE e.kind = 'call' AND e.outcome IS NOT NULL AND e.ts BETWEEN $start AND $end
