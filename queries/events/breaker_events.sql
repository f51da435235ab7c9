-- breaker_events(id, ts, host, event_type, details): the seed guide's layout.
-- One row per state change or call outcome; `details` is JSON, parsed once per row
-- with only the keys its kind can carry (typed: numbers arrive as numbers, numeric
-- strings are accepted; any other type, or details that are not a JSON object, is a
-- problem row). `before_call` rows are not calls and are dropped; anything
-- else unrecognised is a problem row.
-- Naming a problem parses `details` again per key (json_type), which cost more than the
-- rest of the query: so it is done only for rows a cheap test (`suspect`) flags, a
-- superset of the problem rows (a CASE evaluates its branch for the flagged rows only).
WITH parsed AS (
    SELECT
        src_rowid,
        ts AS raw_ts,
        norm_ts(ts) AS ts,
        host AS raw_host,
        norm_event_type(event_type) AS etype,
        details,
        text_problem
    FROM source_rows
),
typed AS (
    SELECT
        *,
        CASE WHEN etype = 'state_change' THEN TRY(json_transform(details, '{
            "old_state": "VARCHAR", "new_state": "VARCHAR", "old": "VARCHAR", "new": "VARCHAR",
            "reset_timeout_s": "DOUBLE", "manual": "BOOLEAN", "run_id": "VARCHAR",
            "role": "VARCHAR", "scope": "VARCHAR"
        }')) END AS t,
        CASE WHEN etype <> 'state_change' THEN TRY(json_transform(details, '{
            "state": "VARCHAR", "status": "DOUBLE", "retry_after_s": "DOUBLE",
            "role": "VARCHAR", "exc_type": "VARCHAR", "error": "VARCHAR",
            "elapsed_ms": "DOUBLE", "run_id": "VARCHAR", "scope": "VARCHAR"
        }')) END AS c
    FROM parsed
    WHERE etype IS DISTINCT FROM 'before_call'
)
SELECT
    $source AS source,
    $table AS src_table,
    src_rowid,
    CASE WHEN text_problem IS NOT NULL
        OR raw_ts IS NULL OR ts IS NULL OR norm_host(raw_host) IS NULL
        OR (details IS NOT NULL AND (NOT starts_with(details, '{') OR (t IS NULL AND c IS NULL)))
        OR etype IS NULL
        OR etype NOT IN ('state_change', 'success', 'failure', 'rejected', 'neutral')
        OR (etype = 'state_change' AND norm_state(coalesce(t.new_state, t.new)) IS NULL)
        OR contains(details, '\')
        OR CASE WHEN etype = 'state_change'
            THEN number_suspect(details, 'reset_timeout_s', t.reset_timeout_s)
            ELSE number_suspect(details, 'retry_after_s', c.retry_after_s)
                OR number_suspect(details, 'status', c.status)
                OR number_suspect(details, 'elapsed_ms', c.elapsed_ms) END
        OR seconds_problem('retry_after_s', c.retry_after_s) IS NOT NULL
        OR seconds_problem('reset_timeout_s', t.reset_timeout_s) IS NOT NULL
        OR finite_problem('elapsed_ms', c.elapsed_ms) IS NOT NULL
    THEN coalesce(
        text_problem,
        row_problem(raw_ts, ts, raw_host),
        CASE
            WHEN details_problem(details) IS NOT NULL THEN details_problem(details)
            WHEN details IS NOT NULL AND t IS NULL AND c IS NULL THEN 'details is not valid JSON'
            WHEN etype IS NULL THEN 'event_type is empty'
            WHEN etype NOT IN ('state_change', 'success', 'failure', 'rejected', 'neutral')
                THEN 'unknown event_type ' || left(etype, 40)
            WHEN etype = 'state_change' AND norm_state(coalesce(t.new_state, t.new)) IS NULL
                THEN 'state_change without a recognisable new state'
        END,
        CASE WHEN etype = 'state_change'
            THEN number_problem(details, 'reset_timeout_s', t.reset_timeout_s)
            ELSE coalesce(number_problem(details, 'retry_after_s', c.retry_after_s),
                number_problem(details, 'status', c.status),
                number_problem(details, 'elapsed_ms', c.elapsed_ms)) END,
        seconds_problem('retry_after_s', c.retry_after_s),
        seconds_problem('reset_timeout_s', t.reset_timeout_s),
        finite_problem('elapsed_ms', c.elapsed_ms)
    ) END AS problem,
    coalesce(t.run_id, c.run_id) AS run_id,
    ts,
    norm_host(raw_host) AS host,
    coalesce(t.role, c.role) AS role,
    CASE WHEN etype = 'state_change' THEN 'transition' ELSE 'call' END AS kind,
    norm_state(coalesce(t.old_state, t.old)) AS old_state,
    norm_state(coalesce(t.new_state, t.new)) AS new_state,
    norm_state(c.state) AS state,
    CASE WHEN etype IN ('success', 'failure', 'rejected', 'neutral') THEN etype END AS outcome,
    TRY_CAST(c.status AS SMALLINT) AS status,
    c.retry_after_s,
    c.elapsed_ms,
    t.reset_timeout_s,
    coalesce(c.exc_type, c.error) AS error,
    coalesce(t.manual, false) AS manual,
    CASE WHEN lower(coalesce(t.scope, c.scope)) = 'resolver' THEN 'resolver' END AS scope
FROM typed
