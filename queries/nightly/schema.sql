-- The nightly history store, attached as `hist` (advisor/ingest/store.py). Idempotent;
-- $version is recorded once, when the store is created.
-- events: normalised rows as read (before cross-source de-duplication and the
-- half-open repair, which are applied per analysed window). watermarks: per source
-- file and table, the last rowid read and the file's identity when it was read.
CREATE TABLE IF NOT EXISTS hist.store_meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS hist.events (
    source VARCHAR, src_table VARCHAR, src_rowid BIGINT, run_id VARCHAR, ts TIMESTAMPTZ,
    host VARCHAR, role VARCHAR, kind VARCHAR, old_state VARCHAR, new_state VARCHAR,
    state VARCHAR, outcome VARCHAR, status SMALLINT, retry_after_s DOUBLE, elapsed_ms DOUBLE,
    reset_timeout_s DOUBLE, error VARCHAR, manual BOOLEAN, scope VARCHAR
);
-- scope ('resolver' or NULL) came later: a store made before it gains the column (NULL)
ALTER TABLE hist.events ADD COLUMN IF NOT EXISTS scope VARCHAR;
CREATE TABLE IF NOT EXISTS hist.watermarks (
    source VARCHAR, src_table VARCHAR, last_rowid BIGINT, inode BIGINT, size BIGINT,
    mtime_ns BIGINT, anchor_hash VARCHAR, PRIMARY KEY (source, src_table)
);
CREATE TABLE IF NOT EXISTS hist.nights (
    night DATE PRIMARY KEY, window_start TIMESTAMPTZ, window_end TIMESTAMPTZ, events BIGINT,
    hosts INTEGER, changes INTEGER, confirmed INTEGER, new INTEGER, withdrawn INTEGER,
    urgent INTEGER, contract VARCHAR
);
CREATE TABLE IF NOT EXISTS hist.night_metrics (
    night DATE, host VARCHAR, calls BIGINT, successes BIGINT, failures BIGINT, rejected BIGINT,
    failure_rate DOUBLE, opens BIGINT, open_time_s DOUBLE, episodes BIGINT,
    half_open_trials BIGINT, half_open_success_rate DOUBLE, metrics VARCHAR, current VARCHAR,
    PRIMARY KEY (night, host)
);
CREATE TABLE IF NOT EXISTS hist.night_recommendations (
    night DATE, host VARCHAR, parameter VARCHAR, current VARCHAR, suggested VARCHAR,
    direction VARCHAR, confidence VARCHAR, rule VARCHAR, status VARCHAR, urgent BOOLEAN,
    nights_seen INTEGER, recommendation VARCHAR, PRIMARY KEY (night, host, parameter, status)
);
INSERT INTO hist.store_meta VALUES ('schema_version', $version) ON CONFLICT DO NOTHING;
