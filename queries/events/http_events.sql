-- http_events: one row per request. A row served from cache never reached the host
-- and is dropped; `breaker_recorded` success|failure|none gives the outcome (none =
-- neutral), and a request the breaker refused (no status, breaker error) is `rejected`.
WITH parsed AS (
    SELECT
        *,
        norm_ts(ts) AS ts_parsed,
        lower(trim(breaker_recorded)) AS recorded,
        TRY_CAST(TRY_CAST(status AS DOUBLE) AS SMALLINT) AS status_code
    FROM source_rows
    WHERE coalesce(TRY_CAST(from_cache AS DOUBLE), 0) = 0
)
SELECT
    $source AS source,
    $table AS src_table,
    src_rowid,
    coalesce(
        text_problem,
        row_problem(ts, ts_parsed, host),
        CASE
            WHEN recorded IS NULL OR recorded NOT IN ('success', 'failure', 'none', 'neutral')
                THEN 'breaker_recorded ' || coalesce(left(recorded, 40), 'is empty')
                    || ' is not success|failure|none'
        END,
        seconds_problem('retry_after_s', TRY_CAST(retry_after_s AS DOUBLE)),
        finite_problem('elapsed_ms', TRY_CAST(elapsed_ms AS DOUBLE))
    ) AS problem,
    run_id,
    ts_parsed AS ts,
    norm_host(host) AS host,
    role,
    'call' AS kind,
    NULL AS old_state,
    NULL AS new_state,
    norm_state(breaker_state) AS state,
    CASE
        WHEN recorded IN ('success', 'failure') THEN recorded
        WHEN status_code IS NULL
            AND regexp_matches(coalesce(error, ''), '(?i)breaker|circuit|cooldown')
            THEN 'rejected'
        ELSE 'neutral'
    END AS outcome,
    status_code AS status,
    TRY_CAST(retry_after_s AS DOUBLE) AS retry_after_s,
    TRY_CAST(elapsed_ms AS DOUBLE) AS elapsed_ms,
    NULL::DOUBLE AS reset_timeout_s,
    error,
    false AS manual
FROM parsed
