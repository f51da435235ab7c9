"""The producer side: write breaker telemetry the way the advisor reads it.

Two lines put it into a pybreaker runtime::

    writer = ManifestWriter("runs/content/manifest.sqlite3")
    registry = BreakerRegistry(load_config(), writer, cooldown_store=from_env())

then ``registry.call(host, fetch, url)`` instead of calling ``fetch(url)``.
"""

from __future__ import annotations

from advisor.telemetry.cooldown import (
    Cooldown,
    CooldownStore,
    InMemoryCooldownStore,
    SQLiteCooldownStore,
    from_env,
    open_store,
)
from advisor.telemetry.listener import TelemetryListener, http_details, state_name
from advisor.telemetry.registry import BreakerRegistry
from advisor.telemetry.writer import ManifestWriter

__all__ = [
    "BreakerRegistry",
    "Cooldown",
    "CooldownStore",
    "InMemoryCooldownStore",
    "ManifestWriter",
    "SQLiteCooldownStore",
    "TelemetryListener",
    "from_env",
    "http_details",
    "open_store",
    "state_name",
]
