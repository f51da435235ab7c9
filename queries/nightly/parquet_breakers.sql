-- The night's per-breaker rows as one Parquet file (advisor/nightly/parquet.py).
COPY (SELECT * FROM parquet_breakers ORDER BY host, role NULLS FIRST) TO $path (FORMAT parquet)
