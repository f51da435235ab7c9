-- `events`, the relation every later query reads: the staged rows, with the half-open
-- trials that events/half_open_fix.sql found (flagged inferred_half_open) in state
-- half_open. A flag and a view instead of rewriting `state` in place: updating that
-- column of a few million rows costs seconds, flagging them milliseconds.
-- `trial` is THE definition of a half-open trial (DESIGN.md): a call that reached the
-- host while its breaker was half-open, as logged or as repaired. Every query that
-- counts or lists trials reads this column.
-- `breaker_role` names the breaker a row belongs to (docs/design.md "Breakers"): the
-- row's role when that role has a breaker of its own on the host in that run -- some
-- transition of the run carries the role, or the configuration tunes the role
-- differently (`configured_breaker`) -- else NULL, the host's own breaker. `breaker`
-- is its name: `host`, or `host:role`. Every per-breaker query partitions by
-- (run, host, breaker_role). `breaker_roles` is the same definition as `role_breakers`
-- in events/half_open_fix.sql.
CREATE OR REPLACE TEMP TABLE breaker_roles AS
SELECT DISTINCT coalesce(run_id, '') AS run_key, host, role
FROM event_rows
WHERE role <> '' AND (kind = 'transition'::event_kind OR configured_breaker(host, role));

CREATE OR REPLACE VIEW events AS
SELECT
    e.* EXCLUDE (problem) REPLACE (
        CASE WHEN e.inferred_half_open THEN 'half_open'::breaker_state ELSE e.state END AS state
    ),
    e.kind = 'call' AND e.outcome <> 'rejected'
        AND (e.inferred_half_open OR coalesce(e.state = 'half_open', false)) AS trial,
    b.role AS breaker_role,
    CASE WHEN b.role IS NULL THEN e.host ELSE e.host || ':' || b.role END AS breaker
FROM event_rows AS e
LEFT JOIN breaker_roles AS b
    ON b.role = e.role AND b.host = e.host AND b.run_key = coalesce(e.run_id, '')
