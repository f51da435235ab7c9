-- breaker_events(id, ts, host, event_type, details): the seed guide's layout.
-- One row per state change or call outcome; `details` is JSON. `before_call`
-- rows are not calls and are dropped; anything else unrecognised is a problem row.
WITH parsed AS (
    SELECT
        src_rowid,
        ts AS raw_ts,
        norm_ts(ts) AS ts,
        host AS raw_host,
        norm_event_type(event_type) AS etype,
        details,
        TRY(json_transform(details, '{
            "old_state": "VARCHAR", "new_state": "VARCHAR", "old": "VARCHAR", "new": "VARCHAR",
            "state": "VARCHAR", "status": "VARCHAR", "retry_after_s": "VARCHAR",
            "role": "VARCHAR", "exc_type": "VARCHAR", "error": "VARCHAR",
            "elapsed_ms": "VARCHAR", "run_id": "VARCHAR", "reset_timeout_s": "VARCHAR",
            "manual": "VARCHAR"
        }')) AS d
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
            WHEN etype = 'state_change' AND norm_state(coalesce(d.new_state, d.new)) IS NULL
                THEN 'state_change without a recognisable new state'
        END
    ) AS problem,
    d.run_id AS run_id,
    ts,
    norm_host(raw_host) AS host,
    d.role AS role,
    CASE WHEN etype = 'state_change' THEN 'transition' ELSE 'call' END AS kind,
    CASE WHEN etype = 'state_change' THEN norm_state(coalesce(d.old_state, d.old)) END AS old_state,
    CASE WHEN etype = 'state_change' THEN norm_state(coalesce(d.new_state, d.new)) END AS new_state,
    CASE WHEN etype <> 'state_change' THEN norm_state(d.state) END AS state,
    CASE WHEN etype IN ('success', 'failure', 'rejected', 'neutral') THEN etype END AS outcome,
    TRY_CAST(TRY_CAST(d.status AS DOUBLE) AS SMALLINT) AS status,
    TRY_CAST(d.retry_after_s AS DOUBLE) AS retry_after_s,
    TRY_CAST(d.elapsed_ms AS DOUBLE) AS elapsed_ms,
    TRY_CAST(d.reset_timeout_s AS DOUBLE) AS reset_timeout_s,
    coalesce(d.exc_type, d.error) AS error,
    coalesce(TRY_CAST(d.manual AS BOOLEAN), false) AS manual
FROM parsed
WHERE etype IS DISTINCT FROM 'before_call'
