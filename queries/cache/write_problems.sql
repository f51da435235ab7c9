-- Inside the refresh's transaction: the bad rows of re-read tables are replaced by this
-- run's. Run with advisor.queries.run_script.
DELETE FROM hist.cache_problems AS p USING replaced AS r
WHERE p.source = r.source AND p.src_table = r.src_table;
INSERT INTO hist.cache_problems SELECT source, src_table, src_rowid, problem FROM new_problems;
