"""breaker-advisor: what circuit breakers did per host, and how to tune them."""

from __future__ import annotations

from advisor.analysis import Analysis, HostResult, analyze
from advisor.errors import (
    AdvisorError,
    ConfigError,
    NoSourcesError,
    SourceError,
    StoreError,
    UsageError,
)
from advisor.nightly import open_history
from advisor.window import Window

__version__ = "0.1.0"

__all__ = [
    "AdvisorError",
    "Analysis",
    "ConfigError",
    "HostResult",
    "NoSourcesError",
    "SourceError",
    "StoreError",
    "UsageError",
    "Window",
    "__version__",
    "analyze",
    "open_history",
]
