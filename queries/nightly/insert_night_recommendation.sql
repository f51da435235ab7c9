-- One change recommended on a night, with its status over nights (nightly/stability.py).
INSERT INTO hist.night_recommendations VALUES (
    $night, $host, $parameter, $current, $suggested, $direction, $confidence, $rule,
    $status, $urgent, $nights_seen, $recommendation
)
