-- Storage of the normalised events. Small ENUMs keep 3 M rows compact; `source` and
-- `src_table` are ENUMs over the files ($sources) and tables ($tables) of this run.
-- `problem` is set on rows that could not be normalised; they are reported and deleted
-- before anything reads `events`. Run with advisor.queries.run_script.
CREATE TABLE source_names AS SELECT unnest($sources::VARCHAR[]) AS name;
CREATE TABLE table_names AS SELECT unnest($tables::VARCHAR[]) AS name;
CREATE TYPE breaker_state AS ENUM ('closed', 'open', 'half_open');
CREATE TYPE event_kind AS ENUM ('transition', 'call');
CREATE TYPE call_outcome AS ENUM ('success', 'failure', 'neutral', 'rejected');
CREATE TYPE source_path AS ENUM (SELECT name FROM source_names ORDER BY name);
CREATE TYPE source_table AS ENUM (SELECT name FROM table_names ORDER BY name);
CREATE TABLE event_rows (
    source source_path,
    src_table source_table,
    src_rowid BIGINT,
    problem VARCHAR,
    run_id VARCHAR,
    ts TIMESTAMPTZ,
    host VARCHAR,
    role VARCHAR,
    kind event_kind,
    old_state breaker_state,
    new_state breaker_state,
    state breaker_state,
    outcome call_outcome,
    status SMALLINT,
    retry_after_s DOUBLE,
    elapsed_ms DOUBLE,
    reset_timeout_s DOUBLE,
    error VARCHAR,
    manual BOOLEAN,
    scope VARCHAR, -- 'resolver' for a resolver's breaker (the telemetry says so), else NULL
    inferred_half_open BOOLEAN DEFAULT false
);
