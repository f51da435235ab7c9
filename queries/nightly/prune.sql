-- Retention: nights before $cutoff, and events older than any retained night needs.
DELETE FROM hist.night_metrics WHERE night < $cutoff;
DELETE FROM hist.night_recommendations WHERE night < $cutoff;
DELETE FROM hist.nights WHERE night < $cutoff;
DELETE FROM hist.events WHERE ts < $keep_events_from;
