-- breaker_events(id, ts, host, event_type, details): the seed guide's layout.
-- One row per state change or call outcome; `details` is JSON. `before_call`
-- rows are not calls and are dropped; anything else unrecognised is a problem row.
WITH parsed AS (
    SELECT
        src_rowid,
        ts AS raw_ts,
        norm_ts(ts) AS ts,
        host AS raw_host,
        regexp_replace(lower(trim(event_type)), '^breaker_', '') AS etype,
        details,
        TRY(json_extract_string(details, [
            '$.old_state', '$.new_state', '$.old', '$.new', '$.state', '$.status',
            '$.retry_after_s', '$.role', '$.exc_type', '$.elapsed_ms', '$.run_id',
            '$.reset_timeout_s', '$.error', '$.manual'
        ])) AS d
    FROM source_rows
)
SELECT
    $source AS source,
    $table AS src_table,
    src_rowid,
    coalesce(
        row_problem(raw_ts, ts, raw_host),
        CASE
            WHEN details IS NOT NULL AND d IS NULL THEN 'details is not valid JSON'
            WHEN etype IS NULL THEN 'event_type is empty'
            WHEN etype NOT IN ('state_change', 'success', 'failure', 'rejected', 'neutral')
                THEN 'unknown event_type ' || left(etype, 40)
            WHEN etype = 'state_change' AND norm_state(coalesce(d[2], d[4])) IS NULL
                THEN 'state_change without a recognisable new state'
        END
    ) AS problem,
    d[11] AS run_id,
    ts,
    norm_host(raw_host) AS host,
    d[8] AS role,
    CASE WHEN etype = 'state_change' THEN 'transition' ELSE 'call' END AS kind,
    CASE WHEN etype = 'state_change' THEN norm_state(coalesce(d[1], d[3])) END AS old_state,
    CASE WHEN etype = 'state_change' THEN norm_state(coalesce(d[2], d[4])) END AS new_state,
    CASE WHEN etype <> 'state_change' THEN norm_state(d[5]) END AS state,
    CASE WHEN etype <> 'state_change' THEN etype END AS outcome,
    TRY_CAST(TRY_CAST(d[6] AS DOUBLE) AS INTEGER) AS status,
    TRY_CAST(d[7] AS DOUBLE) AS retry_after_s,
    TRY_CAST(d[10] AS DOUBLE) AS elapsed_ms,
    TRY_CAST(d[12] AS DOUBLE) AS reset_timeout_s,
    coalesce(d[9], d[13]) AS error,
    coalesce(TRY_CAST(d[14] AS BOOLEAN), false) AS manual
FROM parsed
WHERE etype IS DISTINCT FROM 'before_call'
