-- Failure streaks of $hosts in the window, streak by streak (see the failure_streaks
-- table macro in failure_streaks_macro.sql), for the rules engine.
SELECT host, length, started_at, last_at, ended_by, ended_at
FROM failure_streaks($start, $end, $hosts)
ORDER BY host, started_at
