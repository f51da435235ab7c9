-- breaker_transitions(run_id, ts, host, scope, old_state, new_state, reset_timeout_s).
SELECT
    $source AS source,
    $table AS src_table,
    src_rowid,
    coalesce(
        text_problem,
        row_problem(ts, norm_ts(ts), host),
        CASE WHEN norm_state(new_state) IS NULL THEN 'new_state is not a breaker state' END,
        seconds_problem('reset_timeout_s', TRY_CAST(reset_timeout_s AS DOUBLE))
    ) AS problem,
    run_id,
    norm_ts(ts) AS ts,
    norm_host(host) AS host,
    NULL AS role,
    'transition' AS kind,
    norm_state(old_state) AS old_state,
    norm_state(new_state) AS new_state,
    NULL AS state,
    NULL AS outcome,
    NULL::SMALLINT AS status,
    NULL::DOUBLE AS retry_after_s,
    NULL::DOUBLE AS elapsed_ms,
    TRY_CAST(reset_timeout_s AS DOUBLE) AS reset_timeout_s,
    NULL AS error,
    lower(coalesce(scope, '')) = 'manual' AS manual,
    CASE WHEN lower(scope) = 'resolver' THEN 'resolver' END AS scope
FROM source_rows
