-- The night's per-breaker metrics and settings, filled row by row
-- (queries/nightly/parquet_breaker_row.sql) and written by parquet_breakers.sql.
-- role NULL: the host's own breaker. metrics: every metric of the JSON contract.
CREATE OR REPLACE TEMP TABLE parquet_breakers (
    host VARCHAR, role VARCHAR, calls BIGINT, successes BIGINT, failures BIGINT,
    rejected BIGINT, failure_rate DOUBLE, opens BIGINT, open_time_s DOUBLE, active_s DOUBLE,
    episodes BIGINT, half_open_trials BIGINT, half_open_success_rate DOUBLE,
    fail_max DOUBLE, reset_timeout_s DOUBLE, success_threshold DOUBLE,
    retry_after_cap_s DOUBLE, changes INTEGER, metrics VARCHAR, current VARCHAR
)
