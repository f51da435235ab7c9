"""breaker-advisor: what circuit breakers did per host, and how to tune them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from advisor.errors import (
    AdvisorError,
    ConfigError,
    NoSourcesError,
    SourceError,
    StoreError,
    UsageError,
)
from advisor.version import __version__
from advisor.window import Window

if TYPE_CHECKING:
    from advisor.api import Analysis, HostResult, WhatIf, analyze, static_figures, what_if
    from advisor.nightly import History

_FROM_API = frozenset({"Analysis", "HostResult", "WhatIf", "analyze", "static_figures", "what_if"})


def __getattr__(name: str) -> Any:
    """``Analysis``, ``HostResult``, ``WhatIf``, ``analyze``, ``static_figures`` and
    ``what_if`` (``advisor.api``), imported on first use.

    The pipeline loads DuckDB and NumPy; code that only needs the breaker runtime
    (``advisor.telemetry``, the simulator's worker processes) starts faster without them.
    """
    if name not in _FROM_API:
        raise AttributeError(f"module 'advisor' has no attribute {name!r}")
    from advisor import api

    value = getattr(api, name)
    globals()[name] = value
    return value


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
    "WhatIf",
    "Window",
    "__version__",
    "analyze",
    "open_history",
    "static_figures",
    "what_if",
]
