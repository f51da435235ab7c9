-- Staged rows at an infinite time, after $not_after (a day after the analysis time) or
-- after $latest (the end of the supported range) become bad rows, named by their time.
UPDATE event_rows SET problem = 'ts ' || CAST(ts AS VARCHAR) || CASE
    WHEN NOT isfinite(ts) THEN ' is not a finite time'
    WHEN ts > $latest THEN ' is after ' || strftime($latest, '%Y-%m-%d')
        || ', the end of the supported range'
    ELSE ' is more than a day after the analysis time' END
WHERE problem IS NULL AND (NOT isfinite(ts) OR ts > least($not_after, $latest))
