-- The cache of `breaker-advise --cache` (advisor/ingest/cache.py), attached as `hist`
-- on top of the history store's tables (queries/nightly/schema.sql: events, watermarks).
-- Idempotent; `kind` marks the file as a cache (a nightly store or another DuckDB file
-- is never written as one). problems: the bad rows read so far, counted and named at
-- each analysis as a fresh read would; results: analysis results by key (JSON).
CREATE TABLE IF NOT EXISTS hist.cache_problems (
    source VARCHAR, src_table VARCHAR, src_rowid BIGINT, problem VARCHAR
);
CREATE TABLE IF NOT EXISTS hist.cache_results (
    key VARCHAR PRIMARY KEY, value VARCHAR, used_at TIMESTAMPTZ
);
INSERT INTO hist.store_meta VALUES ('kind', 'cache') ON CONFLICT DO NOTHING;
INSERT INTO hist.store_meta VALUES ('generation', '0') ON CONFLICT DO NOTHING;
