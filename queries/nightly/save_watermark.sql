-- The new watermark of one source table (advisor.ingest.identity.Watermark).
INSERT OR REPLACE INTO hist.watermarks
VALUES ($source, $src_table, $last_rowid, $inode, $size, $mtime_ns, $anchor_hash)
