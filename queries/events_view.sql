-- `events`, the relation every later query reads: the staged rows, with the half-open
-- trials that events_half_open_fix.sql found (flagged inferred_half_open) in state
-- half_open. A flag and a view instead of rewriting `state` in place: updating that
-- column of a few million rows costs seconds, flagging them milliseconds.
CREATE OR REPLACE VIEW events AS
SELECT * EXCLUDE (problem) REPLACE (
    CASE WHEN inferred_half_open THEN 'half_open'::breaker_state ELSE state END AS state
)
FROM event_rows
