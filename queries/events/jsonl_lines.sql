-- The lines of a JSONL manifest, numbered from 1 ($lines, $texts, $problems: parallel
-- lists read by advisor/ingest/jsonl.py; a text is NULL where the line is not UTF-8).
SELECT
    unnest($lines::BIGINT[]) AS jsonl_line,
    unnest($texts::VARCHAR[]) AS jsonl_text,
    unnest($problems::VARCHAR[]) AS jsonl_problem
