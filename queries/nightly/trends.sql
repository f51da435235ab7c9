-- Per night and host: the trend metrics and, per parameter changed, current vs suggested.
SELECT
    m.night, m.host, m.opens, m.open_time_s, m.failure_rate, m.calls,
    r.parameter, r.current, r.suggested, r.status
FROM hist.night_metrics AS m
LEFT JOIN hist.night_recommendations AS r
    ON r.night = m.night AND r.host = m.host AND r.status <> 'withdrawn'
WHERE m.night <= $night
ORDER BY m.host, m.night, r.parameter
