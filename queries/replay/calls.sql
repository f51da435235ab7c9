-- Every call of the window to the hosts in $hosts, refused ones included, for the what-if
-- replay: the host's position in $hosts, a hash of its run and breaker (each breaker of
-- each run is its own state machine: a role with a breaker of its own is replayed apart
-- from the host's breaker), the breaker's role as its 1-based position in $roles (0:
-- the host's own breaker, or a role not listed), arrival time (microseconds since the
-- epoch), outcome code (0 success, 1 failure, 2 neutral, 3 refused), the server's
-- Retry-After in microseconds (0 when none) and the row's place in its source.
-- Unordered: the caller sorts (integers sort far faster in numpy than host names here).
WITH wanted AS (
    SELECT unnest($hosts) AS host, unnest(range(len($hosts)))::INTEGER AS host_id
)
SELECT
    w.host_id,
    hash(coalesce(e.run_id, ''), coalesce(e.breaker_role, '')) AS run_hash,
    coalesce(list_position($roles::VARCHAR[], e.breaker_role), 0)::SMALLINT AS role_id,
    epoch_us(e.ts) AS t_us,
    CASE e.outcome
        WHEN 'success' THEN 0 WHEN 'failure' THEN 1 WHEN 'neutral' THEN 2 ELSE 3
    END::TINYINT AS code,
    CAST(round(coalesce(greatest(e.retry_after_s, 0), 0) * 1e6) AS BIGINT) AS retry_after_us,
    hash(e.source::VARCHAR) AS source_id,  -- ties only; `source` is an ENUM or (nightly) text
    e.src_rowid
FROM events AS e
JOIN wanted AS w USING (host)
WHERE e.kind = 'call' AND e.outcome IS NOT NULL AND e.ts BETWEEN $start AND $end
