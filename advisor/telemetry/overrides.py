"""Operator holds and releases, obeyed by a registry on its next call to the host.

``breaker open`` / ``breaker close`` write an entry of kind ``open`` / ``close`` into the
cooldown store; the store is the only channel to a breaker that lives in a worker's
memory. A registry meeting such an entry it has not seen yet acts on it once and records
the manual transition in its own manifest (``manual: true`` and the operator's reason):

* ``open`` (a hold): calls are refused until it ends (as under a cooldown); recorded as
  ``<state> -> open`` when first seen and ``open -> closed`` when a call finds it ended;
* ``close`` (a release): the registry's breakers of that host are closed; recorded as
  ``<state> -> closed`` when one of them was not closed, or this registry had recorded
  the hold it ends. A breaker that was closed anyway records nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Protocol

import pybreaker

from advisor.telemetry.cooldown import Cooldown
from advisor.telemetry.listener import TelemetryListener, state_name

log = logging.getLogger("advisor.telemetry")


class Guarded(Protocol):
    """A breaker of the registry with its listener (the registry's ``_Entry``)."""

    breaker: pybreaker.CircuitBreaker
    listener: TelemetryListener


class OperatorOverrides:
    """The operator entries one registry has acted on (by host and ``set_at``)."""

    def __init__(self) -> None:
        self._seen: dict[str, float | None] = {}  # host -> set_at of the entry acted on
        self._held: set[str] = set()  # hosts whose hold this registry recorded as open
        self._lock = threading.Lock()

    def obey(self, host: str, entry: Cooldown, now: float, guarded: Sequence[Guarded]) -> None:
        """Act on ``host``'s operator ``entry`` (kind ``open`` or ``close``) if new, and
        record a hold that has ended; ``guarded``: the registry's breakers of ``host``."""
        if not guarded:
            return
        with self._lock:
            new = self._seen.get(host, -1.0) != entry.set_at
            if new:
                self._seen[host] = entry.set_at
            if entry.kind == "open":
                self._hold(host, entry, now, guarded, new)
            elif new:
                self._release(host, entry, now, guarded)

    def _hold(
        self, host: str, entry: Cooldown, now: float, guarded: Sequence[Guarded], new: bool
    ) -> None:
        first = guarded[0]
        if new and entry.until > now:
            old = state_name(first.breaker.current_state) or "closed"
            first.listener.manual_change(
                first.breaker, old, "open", entry.reason, now, reset_timeout_s=entry.until - now
            )
            self._held.add(host)
            log.debug("operator hold %s until %s: %s", host, entry.until, entry.reason)
        elif entry.until <= now and host in self._held:
            self._held.discard(host)
            new_state = state_name(first.breaker.current_state) or "closed"
            first.listener.manual_change(first.breaker, "open", new_state, "hold ended", now)
            log.debug("operator hold %s ended", host)

    def _release(self, host: str, entry: Cooldown, now: float, guarded: Sequence[Guarded]) -> None:
        held = host in self._held
        self._held.discard(host)
        recorded = False
        for item in guarded:
            if item.breaker.current_state != pybreaker.STATE_CLOSED:
                item.listener.close_manually(item.breaker, entry.reason)
                recorded = True
        if held and not recorded:
            first = guarded[0]
            first.listener.manual_change(first.breaker, "open", "closed", entry.reason, now)
            recorded = True
        log.debug("operator release %s: %s", host, "closed" if recorded else "already closed")
