-- Per host and time bucket inside the window, for the per-host timelines: successes,
-- failures split by kind (429, else 5xx, else timeout (408 or an error naming a
-- time-out, as `metrics.timeouts`), else other: each failure counted once), calls the
-- breaker refused, half-open trial outcomes (`events.trial`) and Retry-After values.
-- Only buckets with a call are returned. Buckets as in open_buckets.sql.
WITH calls AS (
    SELECT
        host,
        floor(epoch_us(ts) / $bucket_us)::BIGINT AS bucket,
        outcome,
        trial,
        retry_after_s,
        CASE
            WHEN outcome <> 'failure' THEN NULL
            WHEN status = 429 THEN '429'
            WHEN status BETWEEN 500 AND 599 THEN '5xx'
            WHEN status = 408
                OR CASE WHEN error IS NULL THEN false
                    ELSE regexp_matches(error, '(?i)time[d ]?out') END
                THEN 'timeout'
            ELSE 'other'
        END AS failure_kind
    FROM events
    WHERE kind = 'call'
        AND ts BETWEEN $start AND $end
        AND host IN (SELECT unnest($hosts::VARCHAR[]))
)
SELECT
    host,
    bucket,
    count(*) FILTER (WHERE outcome = 'failure') AS failures,
    count(*) FILTER (WHERE trial AND outcome = 'success') AS trial_successes,
    count(*) FILTER (WHERE trial AND outcome = 'failure') AS trial_failures,
    count(retry_after_s) AS retry_after_count,
    max(retry_after_s) AS retry_after_max,
    count(*) FILTER (WHERE outcome = 'success') AS successes,
    count(*) FILTER (WHERE outcome = 'rejected') AS refused,
    count(*) FILTER (WHERE failure_kind = '429') AS failures_429,
    count(*) FILTER (WHERE failure_kind = '5xx') AS failures_5xx,
    count(*) FILTER (WHERE failure_kind = 'timeout') AS failures_timeout
FROM calls
GROUP BY ALL
ORDER BY host, bucket
