-- Per host and time bucket inside the window: failures, half-open trial outcomes
-- (`events.trial`) and Retry-After values, for the per-host timelines. Only buckets
-- where one of these happened are returned (healthy stretches cost nothing). Buckets
-- as in open_buckets.sql.
SELECT
    host,
    floor(epoch_us(ts) / $bucket_us)::BIGINT AS bucket,
    count(*) FILTER (WHERE outcome = 'failure') AS failures,
    count(*) FILTER (WHERE trial AND outcome = 'success') AS trial_successes,
    count(*) FILTER (WHERE trial AND outcome = 'failure') AS trial_failures,
    count(retry_after_s) AS retry_after_count,
    max(retry_after_s) AS retry_after_max
FROM events
WHERE kind = 'call'
    AND ts BETWEEN $start AND $end
    AND host IN (SELECT unnest($hosts::VARCHAR[]))
    AND (outcome = 'failure' OR trial OR retry_after_s IS NOT NULL)
GROUP BY ALL
ORDER BY host, bucket
