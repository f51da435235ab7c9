-- `events`, the relation every later query reads: the staged rows, with the half-open
-- trials that events_half_open_fix.sql found (flagged inferred_half_open) in state
-- half_open. A flag and a view instead of rewriting `state` in place: updating that
-- column of a few million rows costs seconds, flagging them milliseconds.
-- `trial` is THE definition of a half-open trial (DESIGN.md): a call that reached the
-- host while its breaker was half-open, as logged or as repaired. Every query that
-- counts or lists trials reads this column.
CREATE OR REPLACE VIEW events AS
SELECT
    * EXCLUDE (problem) REPLACE (
        CASE WHEN inferred_half_open THEN 'half_open'::breaker_state ELSE state END AS state
    ),
    kind = 'call' AND outcome <> 'rejected'
        AND (inferred_half_open OR coalesce(state = 'half_open', false)) AS trial
FROM event_rows
