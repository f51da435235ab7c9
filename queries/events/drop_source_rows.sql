-- The rows staged from source $source, which turned out unreadable.
DELETE FROM event_rows WHERE source = $source
