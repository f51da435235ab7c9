-- Every call of the window per host, refused ones included, for the what-if replay:
-- run, arrival time (microseconds since the epoch), outcome code (0 success, 1 failure,
-- 2 neutral, 3 refused) and the server's Retry-After in microseconds (0 when none).
SELECT
    host,
    coalesce(run_id, '') AS run_key,
    epoch_us(ts) AS t_us,
    CASE outcome
        WHEN 'success' THEN 0 WHEN 'failure' THEN 1 WHEN 'neutral' THEN 2 ELSE 3
    END::TINYINT AS code,
    CAST(round(coalesce(greatest(retry_after_s, 0), 0) * 1e6) AS BIGINT) AS retry_after_us
FROM events
WHERE kind = 'call' AND outcome IS NOT NULL AND ts BETWEEN $start AND $end
  AND ($hosts IS NULL OR list_contains($hosts, host))
ORDER BY host, ts, source, src_rowid
