-- Histogram of open durations (entries into open inside the window, as in
-- `metrics.open_duration_s`) and episode durations per host, on log-spaced bins:
-- bin k spans [10^(k / $per_decade), 10^((k + 1) / $per_decade)) seconds; durations
-- under 0.1 s fall in the 0.1 s bin. `censored`: cut off at the window end. For a host
-- with at most $max_values durations of a kind, `durations` also lists them (seconds
-- rounded to 0.1, with their censoring), so a chart can draw a few stays as values.
WITH durations AS (
    SELECT host, 'open' AS what, duration_s, censored
    FROM open_intervals
    WHERE in_window
    UNION ALL
    SELECT host, 'episode' AS what, duration_s, censored
    FROM episodes
),
counted AS (
    SELECT *, count(*) OVER (PARTITION BY host, what) AS total
    FROM durations
    WHERE host IN (SELECT unnest($hosts::VARCHAR[]))
)
SELECT
    host,
    what,
    floor(log10(greatest(duration_s, 0.1)) * $per_decade)::INTEGER AS bin,
    count(*) AS n,
    count(*) FILTER (WHERE censored) AS censored,
    CASE WHEN max(total) <= $max_values
        THEN list([round(duration_s, 1), censored::INTEGER] ORDER BY duration_s)
    END AS durations
FROM counted
GROUP BY ALL
ORDER BY host, what, bin
