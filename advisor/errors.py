"""Exceptions raised by breaker-advisor.

The library raises; only the CLI catches ``AdvisorError`` and turns it into a
one-line message and the exit code of DESIGN.md::

    AdvisorError
    ├── UsageError              exit 2: bad option or argument
    │   ├── NoSourcesError      no manifest file matched the given sources
    │   └── ConfigError         breakers.yaml / rules file / override malformed
    ├── SourceError             one manifest file could not be read (exit 1, others go on)
    ├── QueryNotFoundError      a query name with no ``queries/<name>.sql``
    └── StoreError              exit 3: nightly history store locked or corrupt
"""

from __future__ import annotations


class AdvisorError(Exception):
    """Root of every error the library raises on purpose."""

    exit_code = 1


class UsageError(AdvisorError):
    """The caller asked for something that cannot be done as asked."""

    exit_code = 2


class NoSourcesError(UsageError):
    """None of the given paths, directories or globs matched a manifest file."""


class ConfigError(UsageError):
    """A configuration file or override is malformed; names file, key and expected form."""


class SourceError(AdvisorError):
    """A manifest file that cannot be analysed (not SQLite, truncated, locked...)."""

    exit_code = 1

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class QueryNotFoundError(AdvisorError):
    """A query was asked for by a name that has no file."""


class StoreError(AdvisorError):
    """The nightly history store is locked by another run or is corrupt."""

    exit_code = 3
