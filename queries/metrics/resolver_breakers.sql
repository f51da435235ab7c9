-- Breakers the telemetry marks as a resolver's (scope 'resolver': the breaker is keyed
-- by the resolver's name in `host`), from any of their rows: the scope is the breaker's.
SELECT DISTINCT host
FROM events
WHERE scope = 'resolver'
ORDER BY host
