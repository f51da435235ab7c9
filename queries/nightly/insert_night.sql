-- The night's summary and its stored contract.
INSERT INTO hist.nights VALUES (
    $night, $window_start, $window_end, $events, $hosts, $changes, $confirmed, $new,
    $withdrawn, $urgent, $contract
)
