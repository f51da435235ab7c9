"""Exceptions raised by breaker-advisor.

The library raises; only the CLI catches ``AdvisorError`` and turns it into a
one-line message and the exit code of DESIGN.md::

    AdvisorError
    ├── UsageError              exit 2: bad option or argument
    │   ├── NoSourcesError      no manifest file matched the given sources
    │   ├── ConfigError         breakers.yaml / rules file / override malformed
    │   └── ManifestSchemaError the writer refuses a manifest: not SQLite, or another table shape
    ├── SourceError             one manifest file could not be read (exit 1, others go on)
    ├── TelemetryError          writing telemetry or cooldowns failed (disk, lock beyond retries)
    ├── BreakerOpenError        a call refused: breaker open or host under cooldown
    ├── QueryNotFoundError      a query name with no ``queries/<name>.sql``
    └── StoreError              exit 3: nightly history store locked or corrupt
"""

from __future__ import annotations


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type name when it has none), for
    one-line messages about a third-party error."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


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


class ManifestSchemaError(UsageError):
    """A manifest the telemetry writer cannot write to: not SQLite, or its
    ``breaker_events`` table has another shape than the writer's."""


class SourceError(AdvisorError):
    """A manifest file that cannot be analysed (not SQLite, truncated, locked...)."""

    exit_code = 1

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class TelemetryError(AdvisorError):
    """Writing telemetry or a cooldown failed: disk error, or the file stayed locked
    by other writers beyond the retry budget."""


class BreakerOpenError(AdvisorError):
    """A call refused without reaching the host.

    Attributes:
        host: the host whose breaker refused the call.
        reason: ``breaker_open`` (pybreaker is open) or ``cooldown`` (Retry-After or an
            operator's ``breaker open``).
        until: epoch seconds when calls may go through again, when known.
    """

    def __init__(self, host: str, reason: str, until: float | None = None, note: str = "") -> None:
        super().__init__(host, reason, until, note)
        self.host = host
        self.reason = reason
        self.until = until
        self.note = note

    def __str__(self) -> str:
        when = f" until {self.until:.0f} (epoch s)" if self.until is not None else ""
        extra = f": {self.note}" if self.note else ""
        return f"{self.host}: call refused ({self.reason}){when}{extra}"


class QueryNotFoundError(AdvisorError):
    """A query was asked for by a name that has no file."""


class StoreError(AdvisorError):
    """The nightly history store is locked by another run or is corrupt."""

    exit_code = 3
