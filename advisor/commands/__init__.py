"""Command modules of ``breaker-advisor``: each parses options, calls the library, prints."""
