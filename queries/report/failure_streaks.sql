-- Distribution of failure-streak lengths per host (streaks as defined by the
-- failure_streaks table macro in failure_streaks_macro.sql, which the rules read streak by streak);
-- `ended_by` success | open | end; lengths above $max_length count as $max_length.
SELECT host, least(length, $max_length) AS length, coalesce(ended_by, 'end') AS ended_by,
    count(*) AS streaks
FROM failure_streaks($start, $end, $hosts::VARCHAR[])
GROUP BY ALL
ORDER BY host, length, ended_by
