-- Settings the telemetry itself reveals per host: the last recorded reset_timeout_s.
SELECT host, arg_max(reset_timeout_s, ts) AS reset_timeout_s
FROM events
WHERE reset_timeout_s IS NOT NULL AND ts <= $end
GROUP BY host
