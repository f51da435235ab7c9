-- Per host: request arrival rate (calls that reached the host plus refused calls),
-- failures by cause, and the share of failures that were HTTP 429.
SELECT
    host,
    count(*) FILTER (WHERE outcome IN ('success', 'failure', 'neutral', 'rejected')) AS requests,
    count(*) FILTER (WHERE outcome = 'failure') AS failures,
    count(*) FILTER (WHERE outcome = 'failure' AND status = 429) AS failures_429,
    list(retry_after_s) FILTER (WHERE retry_after_s IS NOT NULL) AS retry_after_values
FROM events
WHERE kind = 'call' AND ts BETWEEN $start AND $end
  AND ($hosts IS NULL OR host IN (SELECT unnest($hosts::VARCHAR[])))
GROUP BY host
