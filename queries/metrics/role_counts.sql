-- Per host and role: calls, failures and refused calls of the host's own breaker (one
-- breaker shared by every role without a breaker of its own: `breaker_role IS NULL`) in
-- the window ($start..$end); a call without a role is role NULL. `--by role`.
SELECT
    host,
    role,
    count(*) FILTER (WHERE outcome <> 'rejected') AS calls,
    count(*) FILTER (WHERE outcome = 'failure') AS failures,
    count(*) FILTER (WHERE outcome = 'rejected') AS refused
FROM events
WHERE kind = 'call' AND breaker_role IS NULL AND ts BETWEEN $start AND $end
GROUP BY host, role
ORDER BY host, role NULLS LAST
