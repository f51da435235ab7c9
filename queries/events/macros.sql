-- Scalar helpers every events/<layout> query uses; created once per analysis database.
-- A manifest value arrives with SQLite's declared type, or as text when a table mixes
-- types in one column (then read with sqlite_all_varchar); these accept either.

-- Epoch seconds, epoch milliseconds, epoch microseconds or a Julian day number -> TIMESTAMPTZ.
CREATE OR REPLACE MACRO ts_from_number(x) AS (
    CASE
        WHEN x >= 2000000 AND x < 3000000 THEN to_timestamp((x - 2440587.5) * 86400.0)
        WHEN x >= 1e8 AND x < 1e11 THEN to_timestamp(x)
        WHEN x >= 1e11 AND x < 1e14 THEN to_timestamp(x / 1e3)
        WHEN x >= 1e14 AND x < 1e17 THEN to_timestamp(x / 1e6)
    END
);

-- Any timestamp spelling (number or ISO-8601 text, with or without zone; naive = UTC).
CREATE OR REPLACE MACRO norm_ts(v) AS (
    coalesce(
        ts_from_number(TRY_CAST(v AS DOUBLE)),
        TRY_CAST(trim(CAST(v AS VARCHAR)) AS TIMESTAMPTZ)
    )
);

-- OPEN, half-open, HALF_OPEN, CircuitHalfOpenState, <pybreaker.CircuitOpenState ...> -> closed|open|half_open.
-- The canonical spellings (by far the most common) take the cheap first branches.
CREATE OR REPLACE MACRO norm_state(v) AS (
    CASE
        WHEN v IN ('closed', 'open', 'half_open') THEN v
        WHEN contains(replace(replace(replace(lower(v), '-', ''), '_', ''), ' ', ''), 'halfopen')
            THEN 'half_open'
        WHEN contains(lower(v), 'open') THEN 'open'
        WHEN contains(lower(v), 'close') THEN 'closed'
    END
);

-- The characters Python's str.strip() removes (Unicode White_Space plus the ASCII
-- separators 0x1c-0x1f): tab, LF, VT, FF, CR, space, NEL, NBSP, U+1680, U+2000-200A,
-- U+2028/2029, U+202F, U+205F, U+3000.
CREATE OR REPLACE MACRO whitespace_chars() AS (
    chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(28) || chr(29) || chr(30)
    || chr(31) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193)
    || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199)
    || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239)
    || chr(8287) || chr(12288)
);

-- Hosts lose all surrounding whitespace and are case-folded ('DOI.org\t' -> 'doi.org');
-- a host that is only whitespace is empty (NULL). trim() with a character set costs
-- ~5x plain trim() per row, so a host that begins and ends with printable ASCII (nearly
-- all of them) skips it.
CREATE OR REPLACE MACRO norm_host(v) AS (
    nullif(lower(
        CASE WHEN v[1] BETWEEN '!' AND '~' AND v[-1] BETWEEN '!' AND '~' THEN v
            ELSE trim(v, whitespace_chars()) END
    ), '')
);

-- breaker_success / BREAKER_FAILURE / success -> success, failure...
-- The canonical spellings (by far the most common) take the cheap first branch.
CREATE OR REPLACE MACRO norm_event_type(v) AS (
    CASE
        WHEN v IN ('success', 'failure', 'state_change', 'rejected', 'neutral') THEN v
        WHEN starts_with(lower(trim(v)), 'breaker_') THEN lower(trim(v))[9:]
        ELSE lower(trim(v))
    END
);

-- Why a row could not be normalised, or NULL when it could.
CREATE OR REPLACE MACRO row_problem(raw_ts, ts, raw_host) AS (
    CASE
        WHEN raw_ts IS NULL THEN 'ts is empty'
        WHEN ts IS NULL THEN 'ts ' || left(CAST(raw_ts AS VARCHAR), 40) || ' is not a timestamp'
        WHEN norm_host(raw_host) IS NULL THEN 'host is empty'
    END
);


-- Bad numbers (DESIGN.md "Values seen in the wild"): a duration in seconds outside
-- 0..10^7 (NaN, ±inf, negative, absurd) or a non-finite number names its row's problem.
CREATE OR REPLACE MACRO seconds_problem(name, v) AS (
    CASE WHEN v IS NOT NULL AND NOT (isfinite(v) AND v >= 0 AND v <= 1e7)
        THEN name || ' ' || CAST(v AS VARCHAR) || ' is not a duration in 0..10^7 s' END
);
CREATE OR REPLACE MACRO finite_problem(name, v) AS (
    CASE WHEN v IS NOT NULL AND NOT isfinite(v)
        THEN name || ' ' || CAST(v AS VARCHAR) || ' is not a finite number' END
);

-- `breaker_events.details` (docs/design.md "Input") is a JSON object; a number it
-- carries is a JSON number or a numeric string. Anything else is a wrong type: a bad row
-- (`"retry_after_s": "soon"`, details that are an array, a bare number or a string).
CREATE OR REPLACE MACRO json_kind(t) AS (
    CASE WHEN t IN ('UBIGINT', 'BIGINT', 'DOUBLE') THEN 'a number'
        WHEN t = 'VARCHAR' THEN 'a string' WHEN t = 'NULL' THEN 'null'
        WHEN t = 'ARRAY' THEN 'an array' WHEN t = 'BOOLEAN' THEN 'a boolean'
        ELSE 'an object' END
);
CREATE OR REPLACE MACRO details_problem(details) AS (
    CASE WHEN details IS NULL THEN NULL
        WHEN TRY(json_type(details)) IS NULL THEN 'details is not valid JSON'
        WHEN json_type(details) <> 'OBJECT'
            THEN 'details is ' || json_kind(json_type(details)) || ', not a JSON object'
    END
);
CREATE OR REPLACE MACRO number_problem(details, name, v) AS (
    CASE WHEN (v IS NULL AND TRY(json_type(details, '$.' || name)) <> 'NULL')
            OR TRY(json_type(details, '$.' || name)) IN ('BOOLEAN', 'ARRAY', 'OBJECT')
        THEN name || ' ' || left(json_extract(details, '$.' || name)::VARCHAR, 40)
            || ' is not a number (' || json_kind(json_type(details, '$.' || name)) || ')'
    END
);
-- A cheap superset of `number_problem` (no JSON parsing) for details without a
-- backslash (a key spelled with escapes, which the caller flags itself): the key may be
-- present while `v` is NULL (a non-number, or JSON null), or `v` may be a boolean
-- (which json_transform reads as 1 or 0).
CREATE OR REPLACE MACRO number_suspect(details, name, v) AS (
    CASE WHEN v IS NULL THEN contains(details, '"' || name || '"') ELSE v IN (0, 1) END
);

-- Roles the configuration gives a breaker of their own (docs/design.md "Breakers"): the
-- runtime keeps one per (host, role) when `BreakerConfig.effective(host, role)` differs
-- from `effective(host)`. advisor.breakers.use_config sets the variable from the config
-- before the events are finalised: `hosts` named in the config with their own
-- breakers' roles as `pairs` [host, role]; `roles` those every other host has. Unset:
-- none (then only transitions carrying a role tell).
SET VARIABLE configured_breakers = coalesce(
    getvariable('configured_breakers'),
    {'hosts': []::VARCHAR[], 'pairs': []::VARCHAR[][], 'roles': []::VARCHAR[]}
);
CREATE OR REPLACE MACRO configured_breaker(h, r) AS (
    CASE WHEN list_contains(getvariable('configured_breakers').hosts, h)
        THEN list_contains(getvariable('configured_breakers').pairs, [h, r])
        ELSE list_contains(getvariable('configured_breakers').roles, r) END
);
