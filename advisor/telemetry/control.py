"""Operator overrides: hold a host open for a while, or let it go again.

An override is a cooldown in the shared store (every worker using the store refuses
calls to the host until it ends) plus a ``state_change`` event with ``manual: true``
and the reason in the manifest, so the advisor sees it in the telemetry.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from advisor.config import normalize_host
from advisor.errors import ManifestSchemaError, UsageError
from advisor.telemetry.cooldown import Cooldown, CooldownStore
from advisor.telemetry.status import recorded_states
from advisor.telemetry.writer import ManifestWriter

OPERATOR_RUN_ID = "operator"


@dataclass(frozen=True)
class Override:
    """What ``open_host`` / ``close_host`` did."""

    host: str
    old_state: str
    new_state: str
    cooldown: Cooldown | None
    at: float
    manifest: Path | None


def open_host(
    host: str,
    seconds: float,
    reason: str,
    *,
    store: CooldownStore,
    manifest: str | Path | None = None,
    now: float | None = None,
) -> Override:
    """Refuse calls to ``host`` for ``seconds``, recorded as a manual ``-> open``.

    Raises:
        UsageError: empty host, ``seconds`` not positive or empty ``reason``.
        TelemetryError, ManifestSchemaError: the store or the manifest cannot be written.
    """
    name = _host(host)
    if not seconds > 0:
        raise UsageError(f"--seconds must be a positive number, got {seconds}")
    if not reason.strip():
        raise UsageError("--reason must say why the breaker is opened")
    at = time.time() if now is None else now
    cooldown = store.set(name, at + seconds, reason.strip())
    old = _last_state(name, manifest, default="closed")
    if manifest is not None:
        _record(manifest, name, at, old, "open", reason.strip(), reset_timeout_s=seconds)
    return Override(name, old, "open", cooldown, at, Path(manifest) if manifest else None)


def close_host(
    host: str,
    *,
    store: CooldownStore,
    manifest: str | Path | None = None,
    reason: str = "manual close",
    now: float | None = None,
) -> Override:
    """Clear ``host``'s cooldown, recorded as a manual ``-> closed``.

    Returns:
        The override, with the cooldown that was cleared (None when there was none).

    Raises:
        UsageError: empty host.
        TelemetryError, ManifestSchemaError: the store or the manifest cannot be written.
    """
    name = _host(host)
    at = time.time() if now is None else now
    previous = store.get(name)
    store.clear(name)
    active = previous if previous is not None and previous.active(at) else None
    old = _last_state(name, manifest, default="open")
    if manifest is not None:
        _record(manifest, name, at, old, "closed", reason.strip() or "manual close")
    return Override(name, old, "closed", active, at, Path(manifest) if manifest else None)


def _host(host: str) -> str:
    name = normalize_host(host)
    if not name:
        raise UsageError("HOST must be a host name, e.g. api.crossref.org")
    return name


def _last_state(host: str, manifest: str | Path | None, default: str) -> str:
    if manifest is None or not Path(manifest).is_file():
        return default
    try:
        recorded = recorded_states(manifest).get(host)
    except ManifestSchemaError:  # no breaker_events yet: the writer creates it (or says why not)
        return default
    return recorded.state if recorded is not None else default


def _record(
    manifest: str | Path,
    host: str,
    at: float,
    old: str,
    new: str,
    reason: str,
    reset_timeout_s: float | None = None,
) -> None:
    with ManifestWriter(manifest, run_id=OPERATOR_RUN_ID, flush_interval_s=None) as writer:
        writer.record(
            host,
            "state_change",
            ts=at,
            old_state=old,
            new_state=new,
            reset_timeout_s=reset_timeout_s,
            manual=True,
            reason=reason,
        )
