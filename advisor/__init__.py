"""breaker-advisor: what circuit breakers did per host, and how to tune them."""

from __future__ import annotations

__version__ = "0.1.0"  # before the imports: submodules read it

from typing import TYPE_CHECKING, Any  # noqa: E402

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
    from advisor.analysis import Analysis, HostResult, analyze
    from advisor.nightly import History

_FROM_ANALYSIS = frozenset({"Analysis", "HostResult", "analyze"})


def __getattr__(name: str) -> Any:
    """``Analysis``, ``HostResult`` and ``analyze``, imported on first use.

    ``advisor.analysis`` loads DuckDB and NumPy; code that only needs the breaker runtime
    (``advisor.telemetry``, the simulator's worker processes) starts faster without them.
    """
    if name not in _FROM_ANALYSIS:
        raise AttributeError(f"module 'advisor' has no attribute {name!r}")
    from advisor import analysis

    value = getattr(analysis, name)
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
    "Window",
    "__version__",
    "analyze",
    "open_history",
]
