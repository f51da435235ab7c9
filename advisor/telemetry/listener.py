"""A pybreaker listener that writes one host's transitions and call outcomes.

pybreaker runs ``on_success()`` (which may close a half-open breaker) *before* the
listeners' ``success()``, so the state a call ran in is captured in ``before_call`` and
recorded as the call's ``state``: a successful half-open trial is ``half_open``.
Telemetry never breaks a call: a write error is logged, not raised into pybreaker.
A resolver's breaker (``scope="resolver"``) writes its resolver name in ``host`` and
``"scope": "resolver"`` in every row's details. With ``DOCSTOKG_BREAKER_DEBUG=1`` each
admitted call, outcome and state change is logged at DEBUG (logger ``advisor.telemetry``).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any, SupportsIndex, SupportsInt

import pybreaker

from advisor.errors import AdvisorError
from advisor.telemetry.writer import MAX_SECONDS, ManifestWriter, encode_json, finite_details

log = logging.getLogger(__name__)
debug_log = logging.getLogger("advisor.telemetry")

STATE_NAMES = {
    pybreaker.STATE_CLOSED: "closed",
    pybreaker.STATE_OPEN: "open",
    pybreaker.STATE_HALF_OPEN: "half_open",
}

Clock = Callable[[], float]


def state_name(state: pybreaker.CircuitBreakerState | str | None) -> str | None:
    """pybreaker's ``half-open`` (state object or name) -> ``half_open``; None stays None."""
    if state is None:
        return None
    name = state if isinstance(state, str) else state.name
    return STATE_NAMES.get(name, name.replace("-", "_").lower())


def http_details(exc: BaseException, now: float | None = None) -> tuple[int | None, float | None]:
    """HTTP status and Retry-After seconds carried by an exception, when it has them.

    Looks at ``status``/``status_code``/``retry_after_s``/``retry_after`` on the exception
    and at ``response.status_code``/``response.status`` and the response's ``Retry-After``
    header (seconds or an HTTP date). A Retry-After that is not a finite number of at most
    30 days (``Infinity``, ``NaN``, ``99999999999999999999``) is absent: None. Real values
    above any ``retry_after_cap_s`` are kept exactly (the cap advice needs them).
    """
    status, retry_after, _ = _http_details(exc, now)
    return status, retry_after


def _http_details(
    exc: BaseException, now: float | None
) -> tuple[int | None, float | None, float | None]:
    """``http_details`` plus the Retry-After value it dropped as implausible (else None)."""
    status, retry_after = _raw_http_details(exc, now)
    if retry_after is not None and not (math.isfinite(retry_after) and retry_after <= MAX_SECONDS):
        return status, None, retry_after
    return status, retry_after, None


def _raw_http_details(exc: BaseException, now: float | None) -> tuple[int | None, float | None]:
    response = getattr(exc, "response", None)
    status = _first_int(
        getattr(exc, "status", None),
        getattr(exc, "status_code", None),
        getattr(response, "status_code", None),
        getattr(response, "status", None),
    )
    retry_after = _seconds(getattr(exc, "retry_after_s", None), now)
    if retry_after is None:
        retry_after = _seconds(getattr(exc, "retry_after", None), now)
    if retry_after is None and response is not None:
        headers = getattr(response, "headers", None)
        if headers is not None:
            try:
                retry_after = _seconds(headers.get("Retry-After"), now)
            except Exception:  # an odd header object: no usable Retry-After
                retry_after = None
    return status, retry_after


_INTEGRAL = (str, bytes, bytearray, SupportsInt, SupportsIndex)  # what int() accepts


def _first_int(*values: object) -> int | None:
    for value in values:
        if isinstance(value, bool) or not isinstance(value, _INTEGRAL):
            continue
        try:
            return int(value)
        except (TypeError, ValueError):
            continue
    return None


def _seconds(value: object, now: float | None) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return None if value < 0 else float(value)  # NaN stays, for _http_details to drop
        except OverflowError:  # an int beyond any float
            return math.inf
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        try:
            moment = parsedate_to_datetime(text).timestamp()
        except (TypeError, ValueError, IndexError):
            return None
        return max(0.0, moment - (time.time() if now is None else now))
    return None if number < 0 else number


def _ms(seconds: float) -> float:
    """Seconds -> milliseconds with at most 3 decimals (cheaper than ``round``)."""
    return int(seconds * 1_000_000.0 + 0.5) / 1000.0


class _Call:
    """What the listener knows about one thread's current call."""

    __slots__ = ("admitted", "role", "state", "t0", "status", "retry_after")

    def __init__(self) -> None:
        self.admitted = False
        self.role: str | None = None
        self.state: str | None = None
        self.t0: float | None = None
        self.status: int | None = None
        self.retry_after: float | None = None


class TelemetryListener(pybreaker.CircuitBreakerListener):
    """Records ``state_change``, ``success`` and ``failure`` of one host's breaker.

    Args:
        host: the host the breaker guards (written as given).
        writer: where events go.
        role: fixed role of a role-specific breaker; else the role given to ``begin``.
        clock: epoch seconds now; the event ``ts`` and ``elapsed_ms`` come from it.
        scope: ``"resolver"`` for a resolver's breaker (``host`` is then the resolver's
            name); None for a host's.
    """

    def __init__(
        self,
        host: str,
        writer: ManifestWriter,
        *,
        role: str | None = None,
        clock: Clock | None = None,
        scope: str | None = None,
    ) -> None:
        self.host = host
        self.role = role
        self.scope = scope
        self._writer = writer
        self._clock = clock or time.time
        self._local = threading.local()
        self._label: Callable[[str | None], str | None] = getattr(
            writer, "state_label", lambda state: state
        )
        self._manual: str | None = None  # the reason while an operator closes the breaker
        scope_json = f',"scope":{encode_json(scope)}' if scope else ""
        self._tail = f'{scope_json},"run_id":{writer.run_id_json}}}'
        self._success_prefix: dict[tuple[str | None, str | None], str] = {}

    # --- call context (set by the registry) -------------------------------------------------

    def begin(self, role: str | None = None) -> _Call:
        """Start a call in this thread: not admitted yet, made in ``role``.

        Returns:
            This thread's call context; its ``admitted`` turns true in ``before_call``.
        """
        call = getattr(self._local, "call", None)
        if call is None:
            call = self._local.call = _Call()
        call.admitted = False
        call.role = role
        return call

    def _call(self) -> _Call:
        call = getattr(self._local, "call", None)
        if call is None:
            call = self._local.call = _Call()
        return call

    @property
    def admitted(self) -> bool:
        """Whether this thread's current call reached ``before_call`` (was let through)."""
        return self._call().admitted

    @property
    def last_failure(self) -> tuple[int | None, float | None]:
        """(status, Retry-After seconds) of this thread's current call, if it failed."""
        call = self._call()
        return call.status, call.retry_after

    # --- pybreaker callbacks -------------------------------------------------------------------

    def before_call(
        self, cb: pybreaker.CircuitBreaker, func: Any, *args: Any, **kwargs: Any
    ) -> None:
        call: _Call = getattr(self._local, "call", None) or self._call()
        call.admitted = True
        call.state = STATE_NAMES.get(cb.current_state) or state_name(cb.current_state)
        call.t0 = self._clock()
        call.status = call.retry_after = None
        if debug_log.isEnabledFor(logging.DEBUG):
            debug_log.debug("admit %s (%s)", cb.name, call.state)

    def success(self, cb: pybreaker.CircuitBreaker) -> None:
        now = self._clock()
        call: _Call = getattr(self._local, "call", None) or self._call()
        state = call.state or state_name(cb.current_state)
        key = (state, self.role or call.role)
        prefix = self._success_prefix.get(key)
        if prefix is None:
            role = f',"role":{encode_json(key[1])}' if key[1] else ""
            label = self._label(state)
            prefix = self._success_prefix[key] = f'{{"state":"{label}"{role},"elapsed_ms":'
        elapsed = _ms(now - call.t0) if call.t0 is not None else 0.0
        if debug_log.isEnabledFor(logging.DEBUG):
            debug_log.debug("success %s (%s, %s ms)", cb.name, state, elapsed)
        try:
            self._writer.record_encoded(
                now, self.host, "success", f"{prefix}{elapsed!r}{self._tail}"
            )
        except AdvisorError as exc:
            log.warning("breaker telemetry for %s not written: %s", self.host, exc)

    def failure(self, cb: pybreaker.CircuitBreaker, exc: BaseException) -> None:
        now = self._clock()
        call = self._call()
        status, retry_after, dropped = _http_details(exc, now)
        if dropped is not None:
            self._dropped("retry_after_s", dropped)
        call.status, call.retry_after = status, retry_after
        details = {
            "state": self._label(call.state or state_name(cb.current_state)),
            "status": status,
            "retry_after_s": retry_after,
            "role": self.role or call.role,
            "exc_type": type(exc).__name__,
            "elapsed_ms": _ms(now - call.t0) if call.t0 is not None else None,
            "scope": self.scope,
            "run_id": self._writer.run_id,
        }
        if debug_log.isEnabledFor(logging.DEBUG):
            debug_log.debug("failure %s: %s (HTTP %s)", cb.name, type(exc).__name__, status)
        self._emit(now, "failure", self._encode(details))

    def state_change(
        self,
        cb: pybreaker.CircuitBreaker,
        old_state: pybreaker.CircuitBreakerState | None,
        new_state: pybreaker.CircuitBreakerState,
    ) -> None:
        now = self._clock()
        old, new = state_name(old_state), state_name(new_state)
        details: dict[str, Any] = {
            "old_state": self._label(old),
            "new_state": self._label(new),
            "reset_timeout_s": cb.reset_timeout,
        }
        if self.role:
            details["role"] = self.role
        if self.scope:
            details["scope"] = self.scope
        if self._manual is not None:
            details["manual"] = True
            details["reason"] = self._manual
        details["run_id"] = self._writer.run_id
        debug_log.debug("state %s: %s -> %s", cb.name, old, new)
        self._emit(now, "state_change", self._encode(details))

    # --- operator overrides (advisor.telemetry.overrides) ------------------------------------

    def close_manually(self, cb: pybreaker.CircuitBreaker, reason: str) -> None:
        """Close ``cb`` for an operator; its ``state_change`` is recorded as manual."""
        self._manual = reason
        try:
            cb.close()
        finally:
            self._manual = None

    def manual_change(
        self,
        cb: pybreaker.CircuitBreaker,
        old: str,
        new: str,
        reason: str,
        ts: float,
        *,
        reset_timeout_s: float | None = None,
    ) -> None:
        """Record an operator's transition of this breaker that pybreaker does not make
        (a hold in the cooldown store, or its end)."""
        details = {
            "old_state": self._label(old),
            "new_state": self._label(new),
            "reset_timeout_s": reset_timeout_s,
            "role": self.role,
            "scope": self.scope,
            "manual": True,
            "reason": reason,
            "run_id": self._writer.run_id,
        }
        debug_log.debug("state %s: %s -> %s (manual: %s)", cb.name, old, new, reason)
        self._emit(ts, "state_change", self._encode(details))

    # --- internals -------------------------------------------------------------------------

    def _encode(self, details: dict[str, Any]) -> str:
        """JSON of ``details`` without None values; non-finite numbers are dropped, counted."""
        kept, dropped = finite_details(details)
        for key in dropped:
            self._dropped(key, details[key])
        return encode_json(kept)

    def _dropped(self, key: str, value: object) -> None:
        note = getattr(self._writer, "note_dropped", None)  # test stand-ins may lack it
        if note is not None:
            note(self.host, key, value)

    def _emit(self, ts: float, event_type: str, details_json: str) -> None:
        try:
            self._writer.record_encoded(ts, self.host, event_type, details_json)
        except AdvisorError as exc:
            log.warning("breaker telemetry for %s not written: %s", self.host, exc)
