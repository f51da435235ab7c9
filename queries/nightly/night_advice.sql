-- The advice recorded for $night that was not withdrawn.
SELECT host, parameter, direction, current, suggested, confidence, rule, recommendation
FROM hist.night_recommendations
WHERE night = $night AND status <> 'withdrawn'
