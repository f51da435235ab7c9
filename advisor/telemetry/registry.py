"""One pybreaker breaker per host (per host and role when the role is tuned differently).

``BreakerRegistry.call`` runs a call through its host's breaker, with the telemetry
listener attached; it records what pybreaker never tells listeners about: refused calls
(``rejected``, reason ``breaker_open``, ``cooldown`` or ``rolling_cooldown``). A server's
Retry-After on a failure sets a cooldown for the host, capped at ``retry_after_cap_s``;
so does a burst of failures under ``advanced.rolling`` (``advisor.telemetry.rolling``).

pybreaker knows ``fail_max``, ``reset_timeout`` and ``success_threshold``; it has no
notion of ``trial_calls`` (it runs one call at a time per breaker, under its lock), so
that knob is carried in the settings but not enforced here.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import pybreaker

from advisor.config import BreakerConfig, BreakerSettings, normalize_host
from advisor.errors import AdvisorError, BreakerOpenError
from advisor.telemetry.cooldown import CooldownStore, InMemoryCooldownStore
from advisor.telemetry.listener import STATE_NAMES, Clock, TelemetryListener, state_name
from advisor.telemetry.rolling import RollingWindow, is_rolling
from advisor.telemetry.writer import ManifestWriter, encode_json

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class _Entry:
    host: str
    role: str | None
    settings: BreakerSettings
    breaker: pybreaker.CircuitBreaker
    listener: TelemetryListener
    rejected_json: dict[tuple[str, str, str | None], str] = field(default_factory=dict)


class BreakerRegistry:
    """Breakers built from the effective config, sharing one writer and cooldown store.

    Args:
        config: the breaker configuration (``advisor.config.load_config``).
        writer: where telemetry goes.
        cooldown_store: per-host deadlines shared by processes; in-memory when None.
        clock: epoch seconds now (``time.time`` when None); stamps events and cooldowns.
            pybreaker itself reads the wall clock for its reset timeout.
    """

    def __init__(
        self,
        config: BreakerConfig,
        writer: ManifestWriter,
        cooldown_store: CooldownStore | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.config = config
        self.writer = writer
        self.cooldowns: CooldownStore = (
            cooldown_store if cooldown_store is not None else InMemoryCooldownStore()
        )
        self.clock: Clock = clock or time.time
        self._entries: dict[tuple[str, str | None], _Entry] = {}
        self._lock = threading.Lock()
        rolling = config.rolling_settings()
        self._rolling = RollingWindow(rolling) if rolling is not None else None

    # --- calls -----------------------------------------------------------------------------

    def call(
        self, host: str, func: Callable[..., T], *args: Any, role: str | None = None, **kwargs: Any
    ) -> T:
        """Call ``func(*args, **kwargs)`` through ``host``'s breaker.

        Returns:
            What ``func`` returns; an exception it raises propagates unchanged.

        Raises:
            BreakerOpenError: the breaker is open or the host is under a cooldown; the call
                was not made and was recorded as ``rejected``.
        """
        if self.config.disabled:
            return func(*args, **kwargs)
        entry = self._entries.get((host, role)) or self._entry(host, role)
        cooldown = self.cooldowns.get(entry.host)
        if cooldown is not None:
            now = self.clock()
            if cooldown.until > now:
                why = "rolling_cooldown" if is_rolling(cooldown.reason) else "cooldown"
                self._reject(entry, now, why, role)
                raise BreakerOpenError(entry.host, "cooldown", cooldown.until, cooldown.reason)
        call = entry.listener.begin(role)
        try:
            return entry.breaker.call(func, *args, **kwargs)
        except pybreaker.CircuitBreakerError:
            if call.admitted:
                raise
            # refused before the call ran: the clock reads the moment of the refusal
            self._reject(entry, self.clock(), "breaker_open", role)
            raise BreakerOpenError(entry.host, "breaker_open", _reopens_at(entry.breaker)) from None
        except BaseException as exc:
            if call.admitted:
                self._cooldown_from_failure(entry)
                if self._rolling is not None and entry.breaker.is_system_error(exc):
                    self._rolling_failure(entry, self._rolling)
            raise

    # --- introspection ---------------------------------------------------------------------

    def breaker(self, host: str, role: str | None = None) -> pybreaker.CircuitBreaker:
        """The pybreaker breaker that guards calls to ``host`` in ``role`` (created on demand)."""
        return self._entry(host, role).breaker

    def settings(self, host: str, role: str | None = None) -> BreakerSettings:
        """The effective settings the breaker for ``host`` in ``role`` was built with."""
        return self._entry(host, role).settings

    def state(self, host: str, role: str | None = None) -> str:
        """``closed``, ``open`` or ``half_open`` as pybreaker holds it now."""
        return state_name(self._entry(host, role).breaker.current_state) or "closed"

    def hosts(self) -> list[str]:
        """Hosts that have a breaker so far, sorted."""
        return sorted({entry.host for entry in self._entries.values()})

    # --- internals -------------------------------------------------------------------------

    def _entry(self, host: str, role: str | None) -> _Entry:
        with self._lock:
            found = self._entries.get((host, role))
            if found is not None:
                return found
            name = normalize_host(host)
            kind = role.strip().casefold() if role and role.strip() else None
            settings = self.config.effective(name, kind)
            own_role = kind if kind and settings != self.config.effective(name) else None
            entry = self._entries.get((name, own_role))
            if entry is None:
                listener = TelemetryListener(name, self.writer, role=own_role, clock=self.clock)
                breaker = pybreaker.CircuitBreaker(
                    fail_max=settings.fail_max,
                    reset_timeout=settings.reset_timeout_s,
                    success_threshold=settings.success_threshold,
                    listeners=[listener],
                    name=f"{name}:{own_role}" if own_role else name,
                    throw_new_error_on_trip=False,
                )
                entry = _Entry(name, own_role, settings, breaker, listener)
                self._entries[(name, own_role)] = entry
            self._entries[(host, role)] = entry
            return entry

    def _reject(self, entry: _Entry, now: float, reason: str, role: str | None) -> None:
        current = entry.breaker.current_state
        state = STATE_NAMES.get(current) or state_name(current) or "closed"
        key = (state, reason, entry.role or role)
        details = entry.rejected_json.get(key)
        if details is None:
            payload = {"state": state, "reason": reason, "role": key[2]}
            payload["run_id"] = self.writer.run_id
            details = encode_json({k: v for k, v in payload.items() if v is not None})
            entry.rejected_json[key] = details
        try:
            self.writer.record_encoded(now, entry.host, "rejected", details)
        except AdvisorError as exc:
            log.warning("breaker telemetry for %s not written: %s", entry.host, exc)

    def _cooldown_from_failure(self, entry: _Entry) -> None:
        status, retry_after = entry.listener.last_failure
        if not retry_after or retry_after <= 0:
            return
        cap = entry.settings.retry_after_cap_s
        seconds = min(retry_after, cap)
        until = self.clock() + seconds
        note = f"Retry-After {retry_after:g} s"
        if status is not None:
            note += f" (HTTP {status})"
        if seconds < retry_after:
            note += f", capped at {cap:g} s"
        try:
            current = self.cooldowns.get(entry.host)
            if current is None or current.until < until:
                self.cooldowns.set(entry.host, until, note)
        except AdvisorError as exc:
            log.warning("cooldown for %s not stored: %s", entry.host, exc)

    def _rolling_failure(self, entry: _Entry, rolling: RollingWindow) -> None:
        """Count a failure in the host's rolling window; a full burst sets a cooldown."""
        until = rolling.failure(entry.host, self.clock())
        if until is None:
            return
        try:
            current = self.cooldowns.get(entry.host)
            if current is None or current.until < until:
                self.cooldowns.set(entry.host, until, rolling.note())
        except AdvisorError as exc:
            log.warning("cooldown for %s not stored: %s", entry.host, exc)


def _reopens_at(breaker: pybreaker.CircuitBreaker) -> float | None:
    """When an open breaker lets a trial call through (epoch s), if pybreaker says."""
    storage = getattr(breaker, "_state_storage", None)
    opened_at: datetime | None = getattr(storage, "opened_at", None)
    if opened_at is None:
        return None
    return opened_at.timestamp() + breaker.reset_timeout
