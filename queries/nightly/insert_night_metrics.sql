-- One host's metrics of a night (JSON-encoded where not a number).
INSERT INTO hist.night_metrics VALUES (
    $night, $host, $calls, $successes, $failures, $rejected, $failure_rate, $opens,
    $open_time_s, $episodes, $half_open_trials, $half_open_success_rate, $metrics, $current
)
