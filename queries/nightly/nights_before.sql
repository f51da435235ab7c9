-- The recorded nights before $night, newest first, at most $limit.
SELECT night FROM hist.nights WHERE night < $night ORDER BY night DESC LIMIT $limit
