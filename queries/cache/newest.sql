-- The newest credible cached event (at most $not_after): retention counts back from it.
SELECT max(ts) FROM hist.events WHERE isfinite(ts) AND ts <= $not_after
