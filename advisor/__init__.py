"""breaker-advisor: what circuit breakers did per host, and how to tune them."""

from __future__ import annotations

__version__ = "0.1.0"  # before the imports: submodules read it

from typing import TYPE_CHECKING  # noqa: E402

from advisor.analysis import Analysis, HostResult, analyze
from advisor.errors import (
    AdvisorError,
    ConfigError,
    NoSourcesError,
    SourceError,
    StoreError,
    UsageError,
)
from advisor.window import Window

if TYPE_CHECKING:
    from advisor.nightly import History


def open_history(path: str) -> History:
    """The nightly history store at ``path`` as DataFrames (``.nights``, ``.metrics``,
    ``.recommendations``); see ``advisor.nightly.open_history``."""
    from advisor.nightly import open_history as _open_history

    return _open_history(path)


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
