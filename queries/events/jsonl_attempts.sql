-- manifest.jsonl attempt records (the deployment guide's troubleshooting reads them with
-- jq): one JSON object per line, `record_type == "attempt"`, one row per HTTP attempt.
-- Other record types are not calls and are skipped; a line that is not valid JSON or
-- not an object, or an attempt that cannot be normalised, is a bad row named by its line
-- number (`src_rowid`). Fields (docs/design.md "Telemetry layouts"): `ts` or `timestamp`,
-- `host` (else the host of `url`), `run_id`, `role`, `status` (an HTTP code or an outcome
-- word), `http_status`, `reason`, `retry_after_s` (or `retry_after`), `elapsed_ms`,
-- `breaker_state`, `from_cache`.
WITH lines AS (
    SELECT
        TRY_CAST(jsonl_line AS BIGINT) AS line,
        jsonl_text AS text,
        coalesce(text_problem, jsonl_problem) AS read_problem
    FROM source_rows
),
objects AS (
    SELECT
        *,
        TRY(json_type(text)) AS jtype
    FROM lines
),
records AS (
    SELECT
        *,
        CASE WHEN jtype = 'OBJECT' THEN TRY(json_transform(text, '{
            "record_type": "VARCHAR", "ts": "VARCHAR", "timestamp": "VARCHAR",
            "host": "VARCHAR", "url": "VARCHAR", "run_id": "VARCHAR", "role": "VARCHAR",
            "status": "VARCHAR", "http_status": "VARCHAR", "reason": "VARCHAR",
            "retry_after_s": "VARCHAR", "retry_after": "VARCHAR", "elapsed_ms": "VARCHAR",
            "breaker_state": "VARCHAR", "from_cache": "VARCHAR"
        }')) END AS r
    FROM objects
),
attempts AS (
    SELECT
        line,
        read_problem,
        jtype,
        r,
        coalesce(r.ts, r."timestamp") AS raw_ts,
        norm_ts(coalesce(r.ts, r."timestamp")) AS ts,
        coalesce(r.host, nullif(regexp_extract(r.url, '^[a-zA-Z][a-zA-Z0-9+.-]*://([^/:?#@]*@)?([^/:?#]+)', 2), '')) AS raw_host,
        lower(trim(r.status)) AS status_text,
        TRY_CAST(TRY_CAST(coalesce(r.http_status, r.status) AS DOUBLE) AS SMALLINT) AS code,
        TRY_CAST(coalesce(r.retry_after_s, r.retry_after) AS DOUBLE) AS retry_after,
        coalesce(r.retry_after_s, r.retry_after) AS raw_retry_after,
        TRY_CAST(r.elapsed_ms AS DOUBLE) AS elapsed,
        lower(concat_ws(' ', r.status, r.reason)) AS words
    FROM records
    WHERE text IS NULL OR trim(text) <> ''
)
SELECT
    $source AS source,
    $table AS src_table,
    line AS src_rowid,
    coalesce(
        read_problem,
        CASE
            WHEN jtype IS NULL THEN 'line is not valid JSON'
            WHEN jtype <> 'OBJECT' THEN 'line is ' || json_kind(jtype) || ', not a JSON object'
            WHEN r IS NULL THEN 'line is not a record (a field of another type)'
        END,
        row_problem(raw_ts, ts, raw_host),
        CASE WHEN r.status IS NULL AND r.http_status IS NULL
            THEN 'attempt without a status or http_status' END,
        CASE WHEN raw_retry_after IS NOT NULL AND retry_after IS NULL
            THEN 'retry_after_s ' || left(raw_retry_after, 40) || ' is not a number' END,
        CASE WHEN r.elapsed_ms IS NOT NULL AND elapsed IS NULL
            THEN 'elapsed_ms ' || left(r.elapsed_ms, 40) || ' is not a number' END,
        seconds_problem('retry_after_s', retry_after),
        finite_problem('elapsed_ms', elapsed)
    ) AS problem,
    r.run_id AS run_id,
    ts,
    norm_host(raw_host) AS host,
    r.role AS role,
    'call' AS kind,
    NULL AS old_state,
    NULL AS new_state,
    norm_state(r.breaker_state) AS state,
    CASE
        -- refused by the breaker or a cooldown: never reached the host
        WHEN regexp_matches(words, 'breaker|circuit|cooldown') THEN 'rejected'
        WHEN code = 429 OR code >= 500 THEN 'failure'
        WHEN code BETWEEN 100 AND 399 THEN 'success'
        WHEN code IS NOT NULL THEN 'neutral'
        WHEN regexp_matches(status_text, '^(success|ok|pdf|html|xml|downloaded)$') THEN 'success'
        WHEN regexp_matches(words, 'timeout|timed out|conn|error|fail|refused|reset|5\d\d')
            THEN 'failure'
        ELSE 'neutral'
    END AS outcome,
    code AS status,
    retry_after AS retry_after_s,
    elapsed AS elapsed_ms,
    NULL::DOUBLE AS reset_timeout_s,
    r.reason AS error,
    false AS manual
FROM attempts
WHERE read_problem IS NOT NULL OR jtype IS DISTINCT FROM 'OBJECT' OR r IS NULL
    OR (r.record_type = 'attempt'
        AND coalesce(lower(trim(r.from_cache)), '') NOT IN ('true', '1'))
