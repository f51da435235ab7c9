-- Failure streaks of $hosts in the window (see the failure_streaks table macro in
-- failure_streaks_macro.sql: each streak within its own breaker), for the rules engine:
-- how many streaks of each length ended each way, per host (or, with $by_breaker, per
-- breaker: `breaker_role`). Only a streak the breaker's opening ended keeps its end time
-- (to match it to its episode); the others are counted together.
SELECT host, CASE WHEN $by_breaker THEN breaker_role END AS breaker_role, length, ended_by,
    CASE WHEN ended_by = 'open' THEN ended_at END AS ended_at,
    count(*) AS streaks
FROM failure_streaks($start, $end, $hosts)
GROUP BY ALL
ORDER BY host, breaker_role NULLS FIRST, ended_at, length, ended_by
