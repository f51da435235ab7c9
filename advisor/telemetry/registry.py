"""One pybreaker breaker per host (per host and role when the role is tuned differently).

``BreakerRegistry.call`` runs a call through its host's breaker, with the telemetry
listener attached; it records what pybreaker never tells listeners about: refused calls
(``rejected``, reason ``breaker_open``, ``cooldown`` or ``rolling_cooldown``). A server's
Retry-After on a failure sets a cooldown for the host, capped at ``retry_after_cap_s``;
so does a burst of failures under ``advanced.rolling`` (``advisor.telemetry.rolling``).

A call made for a resolver (``call(host, fn, resolver="crossref")``) also passes through
that resolver's own breaker (the seed's scope ``resolver``: keyed by the resolver's name,
built from ``resolvers:`` / ``--breaker-resolver`` over the defaults): it is refused when
the host refuses (recorded under the host) or the resolver's breaker does (recorded under
the resolver's name); its outcome counts in both breakers.

Operator holds and releases in the cooldown store are obeyed on the next call to the
host (``advisor.telemetry.overrides``); with ``DOCSTOKG_BREAKER_DEBUG=1`` every admit,
refusal and state change is logged at DEBUG on the ``advisor.telemetry`` logger.

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
from advisor.telemetry.debug import enable_from_env
from advisor.telemetry.listener import STATE_NAMES, Clock, TelemetryListener, state_name
from advisor.telemetry.overrides import OperatorOverrides
from advisor.telemetry.rolling import RollingWindow, is_rolling
from advisor.telemetry.writer import ManifestWriter, encode_json

log = logging.getLogger(__name__)
debug_log = logging.getLogger("advisor.telemetry")
_RESOLVER = "\0resolver"  # the role slot of a resolver's entry (no role is spelled so)

T = TypeVar("T")


@dataclass
class _Entry:
    host: str
    role: str | None
    settings: BreakerSettings
    breaker: pybreaker.CircuitBreaker
    listener: TelemetryListener
    scope: str | None = None
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
        self._overrides = OperatorOverrides()
        enable_from_env()  # DOCSTOKG_BREAKER_DEBUG=1: log every decision (telemetry.debug)
        rolling = config.rolling_settings()
        self._rolling = RollingWindow(rolling) if rolling is not None else None

    # --- calls -----------------------------------------------------------------------------

    def call(
        self,
        host: str,
        func: Callable[..., T],
        *args: Any,
        role: str | None = None,
        resolver: str | None = None,
        **kwargs: Any,
    ) -> T:
        """Call ``func(*args, **kwargs)`` through ``host``'s breaker (and ``resolver``'s).

        Returns:
            What ``func`` returns; an exception it raises propagates unchanged.

        Raises:
            BreakerOpenError: the breaker is open or the host is under a cooldown; the call
                was not made and was recorded as ``rejected``.
        """
        if self.config.disabled:
            return func(*args, **kwargs)
        entry = self._entries.get((host, role)) or self._entry(host, role)
        if resolver is not None:
            return self._for_resolver(resolver, entry, host, func, args, kwargs, role)
        return self._guarded(entry, func, args, kwargs, role)

    def _guarded(
        self,
        entry: _Entry,
        func: Callable[..., T],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        role: str | None,
    ) -> T:
        """The call through ``entry``'s breaker, after its cooldown and operator entries."""
        cooldown = self.cooldowns.get(entry.host)
        if cooldown is not None:
            now = self.clock()
            if cooldown.kind != "cooldown":  # an operator's hold or release
                self._overrides.obey(entry.host, cooldown, now, self._guarding(entry.host))
            if cooldown.refuses(now):
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

    def _for_resolver(
        self,
        resolver: str,
        entry: _Entry,
        host: str,
        func: Callable[..., T],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        role: str | None,
    ) -> T:
        """The call through ``resolver``'s breaker around ``host``'s (module docstring)."""
        outer = self._entries.get((resolver, _RESOLVER)) or self._resolver_entry(resolver)
        now = self.clock()
        cooldown = self.cooldowns.get(entry.host)
        if _refused_now(entry.breaker, now) or (cooldown is not None and cooldown.refuses(now)):
            return self._guarded(entry, func, args, kwargs, role)  # the host's refusal
        return self._guarded(
            outer, lambda: self._guarded(entry, func, args, kwargs, role), (), {}, role
        )

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
        """Hosts that have a breaker so far, sorted (not resolvers: ``resolvers()``)."""
        return sorted({e.host for e in self._entries.values() if e.scope is None})

    def resolvers(self) -> list[str]:
        """Resolvers that have a breaker so far, sorted."""
        return sorted({e.host for e in self._entries.values() if e.scope == "resolver"})

    def resolver_breaker(self, resolver: str) -> pybreaker.CircuitBreaker:
        """The pybreaker breaker of ``resolver`` (created on demand)."""
        return self._resolver_entry(resolver).breaker

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
                entry = self._build(name, own_role, settings, None)
                self._entries[(name, own_role)] = entry
            self._entries[(host, role)] = entry
            return entry

    def _resolver_entry(self, resolver: str) -> _Entry:
        """The breaker of ``resolver``: its name is its key (the ``host`` it is written as)."""
        with self._lock:
            found = self._entries.get((resolver, _RESOLVER))
            if found is not None:
                return found
            name = normalize_host(resolver)
            entry = self._entries.get((name, _RESOLVER))
            if entry is None:
                entry = self._build(name, None, self.config.effective(name), "resolver")
                self._entries[(name, _RESOLVER)] = entry
            self._entries[(resolver, _RESOLVER)] = entry
            return entry

    def _build(
        self, name: str, role: str | None, settings: BreakerSettings, scope: str | None
    ) -> _Entry:
        listener = TelemetryListener(name, self.writer, role=role, clock=self.clock, scope=scope)
        breaker = pybreaker.CircuitBreaker(
            fail_max=settings.fail_max,
            reset_timeout=settings.reset_timeout_s,
            success_threshold=settings.success_threshold,
            listeners=[listener],
            name=f"{name}:{role}" if role else name,
            throw_new_error_on_trip=False,
        )
        return _Entry(name, role, settings, breaker, listener, scope)

    def _guarding(self, key: str) -> list[_Entry]:
        """This registry's breakers written under ``key`` (a host's, or a resolver's)."""
        with self._lock:
            found = {id(e): e for e in self._entries.values() if e.host == key}
        return list(found.values())

    def _reject(self, entry: _Entry, now: float, reason: str, role: str | None) -> None:
        current = entry.breaker.current_state
        state = STATE_NAMES.get(current) or state_name(current) or "closed"
        debug_log.debug("refuse %s (%s, %s)", entry.breaker.name, reason, state)
        key = (state, reason, entry.role or role)
        details = entry.rejected_json.get(key)
        if details is None:
            payload = {"state": self.writer.state_label(state), "reason": reason, "role": key[2]}
            payload["scope"] = entry.scope
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


def _refused_now(breaker: pybreaker.CircuitBreaker, now: float) -> bool:
    """Whether ``breaker`` is open with its reset timeout still running at ``now``."""
    if breaker.current_state != pybreaker.STATE_OPEN:
        return False
    reopens = _reopens_at(breaker)
    return reopens is None or reopens > now


def _reopens_at(breaker: pybreaker.CircuitBreaker) -> float | None:
    """When an open breaker lets a trial call through (epoch s), if pybreaker says."""
    storage = getattr(breaker, "_state_storage", None)
    opened_at: datetime | None = getattr(storage, "opened_at", None)
    if opened_at is None:
        return None
    return opened_at.timestamp() + breaker.reset_timeout
