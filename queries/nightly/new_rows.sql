-- This run's staged rows from $keep_from on (older ones are out of retention), typed
-- as the store keeps them (hist.events: text instead of ENUMs), in time order.
CREATE TABLE new_rows AS
SELECT * REPLACE (
    source::VARCHAR AS source, src_table::VARCHAR AS src_table, kind::VARCHAR AS kind,
    old_state::VARCHAR AS old_state, new_state::VARCHAR AS new_state,
    state::VARCHAR AS state, outcome::VARCHAR AS outcome
)
FROM event_rows
WHERE ts >= $keep_from
ORDER BY ts
