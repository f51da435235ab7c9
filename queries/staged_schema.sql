-- Every row read from every source table, normalised, with `problem` set when it
-- could not be (those rows become warnings, never events).
CREATE OR REPLACE TEMP TABLE staged (
    source VARCHAR,
    src_table VARCHAR,
    src_rowid BIGINT,
    problem VARCHAR,
    run_id VARCHAR,
    ts TIMESTAMPTZ,
    host VARCHAR,
    role VARCHAR,
    kind VARCHAR,
    old_state VARCHAR,
    new_state VARCHAR,
    state VARCHAR,
    outcome VARCHAR,
    status INTEGER,
    retry_after_s DOUBLE,
    elapsed_ms DOUBLE,
    reset_timeout_s DOUBLE,
    error VARCHAR,
    manual BOOLEAN
)
