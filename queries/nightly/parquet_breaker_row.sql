-- One breaker of the night (advisor/nightly/parquet.py).
INSERT INTO parquet_breakers VALUES (
    $host, $role, $calls, $successes, $failures, $rejected, $failure_rate, $opens,
    $open_time_s, $active_s, $episodes, $half_open_trials, $half_open_success_rate,
    $fail_max, $reset_timeout_s, $success_threshold, $retry_after_cap_s, $changes,
    $metrics, $current
)
