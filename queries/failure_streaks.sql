-- Failure streaks of $hosts in the window (see the failure_streaks table macro in
-- failure_streaks_macro.sql), for the rules engine: how many streaks of each length
-- ended each way. Only a streak the breaker's opening ended keeps its end time (to
-- match it to its episode); the others are counted together.
SELECT host, length, ended_by, CASE WHEN ended_by = 'open' THEN ended_at END AS ended_at,
    count(*) AS streaks
FROM failure_streaks($start, $end, $hosts)
GROUP BY ALL
ORDER BY host, ended_at, length, ended_by
