-- Per host, what the numbers rest on: open stays and episodes cut off at the window end
-- (censored: their durations are lower bounds), and half-open trials recognised by
-- timing because they were logged as `closed` (the pybreaker listener trap, DESIGN.md).
-- Hosts with none of these are left out.
WITH opens AS (
    SELECT host, count(*) FILTER (WHERE censored) AS censored_opens
    FROM open_intervals
    GROUP BY host
),
eps AS (
    SELECT host, count(*) FILTER (WHERE censored) AS censored_episodes
    FROM episodes
    GROUP BY host
),
trials AS (
    SELECT host, count(*) FILTER (WHERE inferred_half_open) AS inferred_trials
    FROM half_open_trials
    GROUP BY host
),
hosts AS (
    SELECT host FROM opens UNION SELECT host FROM eps UNION SELECT host FROM trials
)
SELECT
    h.host,
    coalesce(o.censored_opens, 0) AS censored_opens,
    coalesce(e.censored_episodes, 0) AS censored_episodes,
    coalesce(t.inferred_trials, 0) AS inferred_trials
FROM hosts AS h
LEFT JOIN opens AS o USING (host)
LEFT JOIN eps AS e USING (host)
LEFT JOIN trials AS t USING (host)
WHERE h.host IN (SELECT unnest($hosts::VARCHAR[]))
    AND coalesce(o.censored_opens, 0) + coalesce(e.censored_episodes, 0)
        + coalesce(t.inferred_trials, 0) > 0
ORDER BY h.host
