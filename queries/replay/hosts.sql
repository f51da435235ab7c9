-- Hosts with calls in the window (all, or those in $hosts), for the what-if replay.
SELECT DISTINCT host
FROM events
WHERE kind = 'call' AND outcome IS NOT NULL AND ts BETWEEN $start AND $end
  AND ($hosts IS NULL OR host IN (SELECT unnest($hosts::VARCHAR[])))
ORDER BY host
