-- Forget what was recorded for night $night (it is about to be recorded again).
DELETE FROM hist.night_metrics WHERE night = $night;
DELETE FROM hist.night_recommendations WHERE night = $night;
DELETE FROM hist.nights WHERE night = $night;
