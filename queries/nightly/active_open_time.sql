-- Per host: seconds open within the night's active span (first to last event of the
-- night), and that span. The urgent rule uses it, so a breaker left open when the
-- runtime stopped for the night does not count as a host down all night.
WITH span AS (
    SELECT min(ts) AS first_ts, max(ts) AS last_ts FROM events WHERE ts BETWEEN $start AND $end
)
SELECT
    o.host,
    sum(greatest(0.0, (epoch_us(least(coalesce(o.ended_at, $end), s.last_ts))
        - epoch_us(greatest(o.opened_at, s.first_ts))) / 1e6)) AS open_s,
    any_value((epoch_us(s.last_ts) - epoch_us(s.first_ts)) / 1e6) AS span_s
FROM open_intervals AS o, span AS s
GROUP BY o.host
