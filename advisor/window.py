"""The analysis window: ``--window-s`` seconds ending at ``--until``."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from advisor.errors import UsageError
from advisor.limits import DATE_RANGE, EARLIEST, LATEST, MAX_WINDOW_S, moment_in_range, number_in

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


def parse_until(
    value: str | float | datetime | None, latest: datetime | None, *, name: str = "--until"
) -> datetime:
    """``now``, ``latest``, epoch seconds or ISO-8601 (naive = UTC) -> aware UTC datetime.

    ``latest`` is the newest event (``latest``), or now when there are no events. An
    explicit time must lie in the supported range (``advisor.limits``: 1970-01-01 to
    9000-01-01).

    Raises:
        UsageError: the value is none of those, or outside the supported range.
    """
    if value is None:
        return datetime.now(UTC)
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment_in_range(name, moment, value.isoformat())
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_epoch(name, float(value), value)
    text = str(value).strip()
    if text.lower() == "now":
        return datetime.now(UTC)
    if text.lower() == "latest":
        return latest if latest is not None else datetime.now(UTC)
    if _NUMBER.match(text):
        return _from_epoch(name, float(text), value)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        moment.astimezone(UTC)  # an offset at the edge of the calendar overflows here
    except (ValueError, OverflowError):
        raise UsageError(
            f"{name} {value!r}: expected ISO-8601 (2026-11-28T04:00:00Z), epoch seconds, "
            "'now' or 'latest'"
        ) from None
    return moment_in_range(name, moment, value)


def _from_epoch(name: str, seconds: float, shown: object) -> datetime:
    if not math.isfinite(seconds) or not (EARLIEST.timestamp() <= seconds <= LATEST.timestamp()):
        raise UsageError(f"{name} {shown!r}: outside the supported range {DATE_RANGE}")
    return datetime.fromtimestamp(seconds, UTC)


def make_window(window_s: float, until: datetime) -> Window:
    """Window of ``window_s`` seconds ending at ``until``.

    Raises:
        UsageError: ``window_s`` is not a finite number of seconds in (0, 100 years].
    """
    seconds = number_in("--window-s", window_s, 0, MAX_WINDOW_S, low_open=True, unit="seconds")
    return Window(start=until - timedelta(seconds=seconds), end=until)
