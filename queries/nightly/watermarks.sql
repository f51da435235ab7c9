-- What was read of each source table last time (advisor.ingest.identity.Watermark).
SELECT source, src_table, last_rowid, inode, size, mtime_ns, anchor_hash
FROM hist.watermarks
