"""What an operator sees per host: live state, recorded state, cooldown, effective config.

The manifest is read through a read-only SQLite connection (never written); the
recorded state of a host is the ``new_state`` of its last recorded ``state_change``.
The live state merges that with the cooldown store: a host under an active hold or
Retry-After cooldown is ``open`` whatever was recorded last.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from advisor.config import BreakerConfig, BreakerSettings, normalize_host
from advisor.errors import ManifestSchemaError, UsageError
from advisor.telemetry.cooldown import Cooldown, CooldownStore
from advisor.telemetry.writer import TABLE

DEFAULT_MANIFEST = Path("runs") / "content" / "manifest.sqlite3"
"""The deployment guide's manifest, relative to the working folder."""


@dataclass(frozen=True)
class RecordedState:
    """A host's last recorded transition in a manifest."""

    host: str
    state: str
    since: float | None
    manual: bool = False
    reason: str | None = None


@dataclass(frozen=True)
class HostStatus:
    """One row of ``breaker show``."""

    host: str
    recorded: RecordedState | None
    cooldown: Cooldown | None
    settings: BreakerSettings
    origin: dict[str, str]
    now: float | None = None

    @property
    def live_state(self) -> str | None:
        """``open`` under an active hold or cooldown, else the recorded state (None when
        neither the store nor the manifest knows the host)."""
        if self.cooldown is not None:
            return "open"
        return self.recorded.state if self.recorded else None

    def age_s(self) -> float | None:
        """Seconds since the live state began (the hold's setting, else the recorded
        transition), or None when unknown."""
        if self.now is None:
            return None
        if self.cooldown is not None and self.cooldown.set_at is not None:
            start: float | None = self.cooldown.set_at
        else:
            start = self.recorded.since if self.recorded else None
        return None if start is None else round(max(0.0, self.now - start), 1)

    def to_dict(self) -> dict[str, Any]:
        """Plain values; times as ISO-8601 UTC."""
        recorded = self.recorded
        cooldown = self.cooldown
        return {
            "host": self.host,
            "state": recorded.state if recorded else None,
            "since": iso_or_text(recorded.since) if recorded else None,
            "manual": recorded.manual if recorded else False,
            "cooldown_until": iso_or_text(cooldown.until) if cooldown else None,
            "cooldown_reason": cooldown.reason if cooldown else None,
            "config": self.settings.to_dict(),
            "origin": self.origin,
            "live_state": self.live_state,
            "age_s": self.age_s(),
            "cooldown_kind": cooldown.kind if cooldown else None,
        }


def recorded_states(manifest: str | Path) -> dict[str, RecordedState]:
    """Last recorded state per host (case-folded) in a manifest's ``breaker_events``.

    A host with calls but no transition is ``closed`` since None.

    Raises:
        UsageError: the file does not exist.
        ManifestSchemaError: not SQLite, or no ``breaker_events`` table.
    """
    path = Path(manifest)
    if not path.is_file():
        raise UsageError(f"{path}: manifest not found")
    uri = path.resolve().as_uri() + "?mode=ro"
    try:
        with closing(sqlite3.connect(uri, uri=True, timeout=5.0)) as con:
            hosts = [row[0] for row in con.execute(f"SELECT DISTINCT host FROM {TABLE}")]
            rows = con.execute(
                f"SELECT host, ts, details FROM {TABLE} "
                "WHERE lower(event_type) IN ('state_change', 'breaker_state_change') "
                "ORDER BY ts, id"
            ).fetchall()
    except sqlite3.DatabaseError as exc:
        raise ManifestSchemaError(f"{path}: cannot read {TABLE}: {exc}") from None
    result: dict[str, RecordedState] = {}
    for raw in hosts:
        if isinstance(raw, str) and raw.strip():
            result.setdefault(
                normalize_host(raw), RecordedState(normalize_host(raw), "closed", None)
            )
    for raw, ts, details in rows:
        if not isinstance(raw, str) or not raw.strip():
            continue
        data = _json(details)
        state = normalize_state(data.get("new_state", data.get("new")))
        if state is None:
            continue
        host = normalize_host(raw)
        reason = data.get("reason")
        result[host] = RecordedState(
            host,
            state,
            epoch_seconds(ts),
            bool(data.get("manual")),
            str(reason) if reason is not None else None,
        )
    return result


def breaker_status(
    config: BreakerConfig,
    *,
    store: CooldownStore | None = None,
    manifest: str | Path | None = None,
    hosts: Sequence[str] | None = None,
    now: float | None = None,
) -> list[HostStatus]:
    """Per host: live and recorded state, active cooldown, effective settings; by host.

    Hosts are those configured, recorded in the manifest or under a cooldown; or only
    ``hosts`` when given.

    Raises:
        UsageError, ManifestSchemaError: the manifest cannot be read.
    """
    recorded = recorded_states(manifest) if manifest is not None else {}
    moment = datetime.now(UTC).timestamp() if now is None else now
    cooldowns = {c.host: c for c in (store.all() if store is not None else []) if c.refuses(moment)}
    if hosts:
        names = sorted({normalize_host(h) for h in hosts})
    else:
        names = sorted(set(config.configured_hosts()) | set(recorded) | set(cooldowns))
    return [
        HostStatus(
            host,
            recorded.get(host),
            cooldowns.get(host),
            config.effective(host),
            config.origin(host),
            moment,
        )
        for host in names
    ]


def normalize_state(value: object) -> str | None:
    """``OPEN``, ``half-open``, ``CircuitHalfOpenState``... -> closed | open | half_open."""
    if not isinstance(value, str):
        return None
    text = value.lower()
    squashed = text.replace("-", "").replace("_", "").replace(" ", "")
    if "halfopen" in squashed:
        return "half_open"
    if "open" in text:
        return "open"
    if "close" in text:
        return "closed"
    return None


def epoch_seconds(value: object) -> float | None:
    """Epoch seconds from epoch s / ms / µs, a Julian day number or ISO-8601 text."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        if not isinstance(value, str):
            return None
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    if 2_000_000 <= number < 3_000_000:
        return (number - 2440587.5) * 86400.0
    if number >= 1e14:
        return number / 1e6
    if number >= 1e11:
        return number / 1e3
    return number


def _json(text: object) -> dict[str, Any]:
    if not isinstance(text, str):
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def iso_or_text(ts: float | None) -> str | None:
    """ISO-8601 UTC of epoch seconds ``ts``; a time no calendar holds (``inf``, ``nan``,
    ``1e308``: a store or manifest written by an older version) as the number's text."""
    if ts is None:
        return None
    try:
        moment = datetime.fromtimestamp(ts, UTC)
    except (OverflowError, OSError, ValueError):
        return f"{ts!r} (not a valid time)"
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
