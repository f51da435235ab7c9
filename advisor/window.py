"""The analysis window: ``--window-s`` seconds ending at ``--until``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from advisor.errors import UsageError

_NUMBER = re.compile(r"^\s*[+-]?\d+(\.\d+)?\s*$")


@dataclass(frozen=True)
class Window:
    """Closed interval ``start <= ts <= end`` in UTC."""

    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    def to_dict(self) -> dict[str, object]:
        secs = self.seconds
        return {
            "start": iso_z(self.start),
            "end": iso_z(self.end),
            "seconds": int(secs) if secs == int(secs) else secs,
        }


def iso_z(moment: datetime) -> str:
    """``2026-11-28T04:00:00Z`` (microseconds only when present)."""
    text = moment.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def parse_until(value: str | float | datetime | None, latest: datetime | None) -> datetime:
    """``now``, ``latest``, epoch seconds or ISO-8601 (naive = UTC) -> aware UTC datetime.

    ``latest`` is the newest event (``latest``), or now when there are no events.

    Raises:
        UsageError: the value is none of those.
    """
    if value is None:
        return datetime.now(UTC)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), UTC)
    text = value.strip()
    if text.lower() == "now":
        return datetime.now(UTC)
    if text.lower() == "latest":
        return latest if latest is not None else datetime.now(UTC)
    if _NUMBER.match(text):
        return datetime.fromtimestamp(float(text), UTC)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--until {value!r}: expected ISO-8601 (2026-11-28T04:00:00Z), epoch seconds, "
            "'now' or 'latest'"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def make_window(window_s: float, until: datetime) -> Window:
    """Window of ``window_s`` seconds ending at ``until``.

    Raises:
        UsageError: ``window_s`` is not positive.
    """
    if not window_s > 0:
        raise UsageError(f"--window-s must be a positive number of seconds, got {window_s}")
    return Window(start=until - timedelta(seconds=window_s), end=until)
