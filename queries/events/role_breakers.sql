-- Hosts with a role that has a breaker of its own in some run, and those roles.
SELECT host, list(DISTINCT role ORDER BY role)
FROM breaker_roles
GROUP BY host
