-- Newest event in all sources (for --until latest).
SELECT max(ts) FROM events
