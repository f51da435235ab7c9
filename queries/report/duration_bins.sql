-- Histogram of open durations (entries into open inside the window, as in
-- `metrics.open_duration_s`) and episode durations per host, on log-spaced bins:
-- bin k spans [10^(k / $per_decade), 10^((k + 1) / $per_decade)) seconds; durations
-- under 0.1 s fall in the 0.1 s bin. `censored`: cut off at the window end.
WITH durations AS (
    SELECT host, 'open' AS what, duration_s, censored
    FROM open_intervals
    WHERE in_window
    UNION ALL
    SELECT host, 'episode' AS what, duration_s, censored
    FROM episodes
)
SELECT
    host,
    what,
    floor(log10(greatest(duration_s, 0.1)) * $per_decade)::INTEGER AS bin,
    count(*) AS n,
    count(*) FILTER (WHERE censored) AS censored
FROM durations
WHERE host IN (SELECT unnest($hosts::VARCHAR[]))
GROUP BY ALL
ORDER BY host, what, bin
