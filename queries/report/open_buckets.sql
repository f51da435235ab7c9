-- Opens per host and time bucket (fleet heat map): entries into `open` inside the window,
-- the same ones `metrics.opens` counts. Buckets are $bucket_us wide, aligned to the epoch;
-- `bucket` is the bucket's number since 1970 (start = bucket * $bucket_us).
SELECT
    host,
    floor(epoch_us(opened_at) / $bucket_us)::BIGINT AS bucket,
    count(*) AS opens
FROM open_intervals
WHERE in_window AND host IN (SELECT unnest($hosts::VARCHAR[]))
GROUP BY ALL
ORDER BY host, bucket
