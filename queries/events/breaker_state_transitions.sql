-- breaker_state_transitions(host, old_state, new_state, open_ts, close_ts): one row per
-- stay in `old_state`, entered at open_ts and left for `new_state` at close_ts.
-- Each row yields its exit transition, plus its entry transition unless another row
-- already exits into that state at that instant (so a chain of rows is not doubled).
WITH rows_ AS MATERIALIZED (
    SELECT
        src_rowid,
        host AS raw_host,
        norm_host(host) AS host,
        norm_state(old_state) AS old_state,
        norm_state(new_state) AS new_state,
        open_ts AS raw_open,
        norm_ts(open_ts) AS open_ts,
        norm_ts(close_ts) AS close_ts,
        close_ts AS raw_close,
        text_problem
    FROM source_rows
),
exits AS (
    SELECT
        src_rowid,
        coalesce(
            text_problem,
            row_problem(raw_close, close_ts, raw_host),
            CASE WHEN new_state IS NULL THEN 'new_state is not a breaker state' END
        ) AS problem,
        close_ts AS ts, host, old_state, new_state
    FROM rows_
    WHERE raw_close IS NOT NULL
),
entries AS (
    SELECT
        r.src_rowid,
        coalesce(
            r.text_problem,
            row_problem(r.raw_open, r.open_ts, r.raw_host),
            CASE WHEN r.old_state IS NULL THEN 'old_state is not a breaker state' END
        ) AS problem,
        r.open_ts AS ts, r.host, NULL AS old_state, r.old_state AS new_state
    FROM rows_ AS r
    WHERE NOT EXISTS (
        SELECT 1 FROM rows_ AS p
        WHERE p.host = r.host AND p.close_ts = r.open_ts AND p.new_state = r.old_state
    )
)
SELECT
    $source AS source,
    $table AS src_table,
    src_rowid,
    problem,
    NULL AS run_id,
    ts,
    host,
    NULL AS role,
    'transition' AS kind,
    old_state,
    new_state,
    NULL AS state,
    NULL AS outcome,
    NULL::SMALLINT AS status,
    NULL::DOUBLE AS retry_after_s,
    NULL::DOUBLE AS elapsed_ms,
    NULL::DOUBLE AS reset_timeout_s,
    NULL AS error,
    false AS manual
FROM (SELECT * FROM exits UNION ALL SELECT * FROM entries)
