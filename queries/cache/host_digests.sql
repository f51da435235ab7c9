-- Per host, a digest of all of its events as analysed (every column of `events`): an
-- added, removed or changed row of the host changes it; other hosts' rows never do.
SELECT host, count(*)::VARCHAR || ':' || sum(hash(e))::VARCHAR || ':' || bit_xor(hash(e, 1))::VARCHAR
FROM events AS e
GROUP BY host
