"""Operator overrides: hold a host open for a while, or let it go again.

An override is an entry in the shared cooldown store, the channel to every worker's
breakers (``advisor.telemetry.overrides``): a hold (kind ``open``) every worker using
the store obeys by refusing calls until it ends, a release (kind ``close``) each worker
obeys on its next call by closing its breakers of the host. Each worker's registry
records the manual transition in its own manifest. The command writes a ``state_change``
(``manual: true``, the reason) into a manifest only when given one explicitly, and only
when something changed: a release of a host neither held nor recorded open writes nothing.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from advisor.config import normalize_host
from advisor.errors import ManifestSchemaError, TelemetryError, UsageError, first_line
from advisor.limits import MAX_DURATION_S, number_in
from advisor.telemetry.cooldown import Cooldown, CooldownStore
from advisor.telemetry.status import iso_or_text, recorded_states
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
    recorded: bool = True  # False: nothing to record (a release of a breaker not open)


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

    Everything is checked before anything is written: the arguments, then the manifest
    (opened for writing); only then is the cooldown set and the event recorded.

    Raises:
        UsageError: empty host, ``seconds`` not a finite number in (0, 10^7] or empty
            ``reason`` (nothing written).
        ManifestSchemaError, TelemetryError: the manifest or the store cannot be written
            (nothing written).
        OverrideNotRecorded: the cooldown was set but the event could not be recorded.
    """
    name = _host(host)
    number_in("--seconds", seconds, 0, MAX_DURATION_S, low_open=True, unit="s")
    if not reason.strip():
        raise UsageError("--reason must say why the breaker is opened")
    at = time.time() if now is None else now
    old = _last_state(name, manifest, default="closed") or "closed"
    writer = _writer(manifest, name, "opened")
    try:
        cooldown = store.set(name, at + seconds, reason.strip(), kind="open")
    except BaseException:
        _discard(writer)
        raise
    if writer is not None:
        _record(writer, name, at, old, "open", reason.strip(), reset_timeout_s=seconds,
                done=f"{name}: cooldown set until {iso_or_text(cooldown.until)}")  # fmt: skip
    return Override(name, old, "open", cooldown, at, Path(manifest) if manifest else None)


def close_host(
    host: str,
    *,
    store: CooldownStore,
    manifest: str | Path | None = None,
    reason: str = "manual close",
    now: float | None = None,
    known: Sequence[str] = (),
    evidence: str | Path | None = None,
) -> Override:
    """Release ``host``: its hold cleared, and a release in the store that every worker's
    registry obeys on its next call (closing its breakers of the host, recording that).

    A host the store, ``manifest``, ``evidence`` (a manifest only read) and ``known`` (the
    configured hosts) all know nothing of is refused: a typo must not look like a release.

    Returns:
        The override, with the hold that was cleared (None when there was none);
        ``recorded`` False when there was nothing to record in ``manifest``.

    Raises:
        UsageError: empty or unknown host (nothing written).
        ManifestSchemaError, TelemetryError: the manifest or the store cannot be written
            (nothing written).
        OverrideNotRecorded: the release was stored but the event could not be recorded.
    """
    name = _host(host)
    at = time.time() if now is None else now
    previous = store.get(name)
    recorded = _last_state(name, manifest, default=None)
    if recorded is None and evidence is not None and evidence != manifest:
        recorded = _last_state(name, evidence, default=None)
    if previous is None and recorded is None and name not in known:
        raise UsageError(
            f"{name}: unknown host: no hold in the cooldown store, not configured"
            + ("" if manifest is None and evidence is None else ", not in the manifest")
            + "; nothing changed (--force releases it anyway)"
        )
    active = previous if previous is not None and previous.refuses(at) else None
    old = "open" if active is not None else (recorded or "closed")
    writer = _writer(manifest, name, "closed") if old != "closed" else None
    try:
        store.set(name, at, reason.strip() or "manual close", kind="close")
    except BaseException:
        _discard(writer)
        raise
    if writer is not None:
        _record(writer, name, at, old, "closed", reason.strip() or "manual close",
                done=f"{name}: released in the cooldown store")  # fmt: skip
    path = Path(manifest) if manifest else None
    return Override(name, old, "closed", active, at, path, recorded=writer is not None)


class OverrideNotRecorded(TelemetryError):
    """The cooldown store was changed, but the manifest event could not be written."""


def _writer(manifest: str | Path | None, host: str, verb: str) -> ManifestWriter | None:
    """The manifest opened for writing (checked: SQLite, the writer's table shape), or
    None without one.

    Raises:
        ManifestSchemaError, TelemetryError: saying that nothing was changed.
    """
    if manifest is None:
        return None
    try:
        return ManifestWriter(manifest, run_id=OPERATOR_RUN_ID, flush_interval_s=None)
    except (ManifestSchemaError, TelemetryError) as exc:
        raise type(exc)(f"{host} not {verb}, nothing changed: {exc}") from None
    except OSError as exc:
        raise TelemetryError(
            f"{host} not {verb}, nothing changed: {manifest}: {exc.strerror or exc}"
        ) from None


def _discard(writer: ManifestWriter | None) -> None:
    if writer is not None:
        with contextlib.suppress(Exception):
            writer.close()  # nothing was recorded: nothing to write


def _host(host: str) -> str:
    name = normalize_host(host)
    if not name:
        raise UsageError("HOST must be a host name, e.g. api.crossref.org")
    return name


def _last_state(host: str, manifest: str | Path | None, default: str | None) -> str | None:
    if manifest is None or not Path(manifest).is_file():
        return default
    try:
        recorded = recorded_states(manifest).get(host)
    except ManifestSchemaError:  # no breaker_events yet: the writer creates it (or says why not)
        return default
    return recorded.state if recorded is not None else default


def _record(
    writer: ManifestWriter,
    host: str,
    at: float,
    old: str,
    new: str,
    reason: str,
    reset_timeout_s: float | None = None,
    *,
    done: str,
) -> None:
    """Write the manual transition and close ``writer``.

    Raises:
        OverrideNotRecorded: naming what was ``done`` already and why the event is missing.
    """
    try:
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
        writer.close()
    except (TelemetryError, OSError, sqlite3.Error) as exc:
        _discard(writer)
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else first_line(exc)
        raise OverrideNotRecorded(f"{done}, but not recorded in {writer.path}: {why}") from None
