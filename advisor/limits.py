"""The documented range of every number and date a user gives (docs/design.md, "Ranges").

Options, configuration and rules files are checked here before anything is read or
written, so an absurd value (``inf``, ``nan``, ``1e308``, year 1 or 9999) is a one-line
usage error (exit 2) instead of an overflow deep inside the analysis.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

from advisor.errors import UsageError

MAX_DURATION_S = 1e7  # reset_timeout_s, retry_after_cap_s, Retry-After: 0 to 10^7 s (~116 days)
MAX_COUNT = 1_000_000  # fail_max, success_threshold, trial_calls: 1 to 10^6
MAX_WINDOW_S = 100 * 366 * 86400.0  # --window-s: 1 s to 100 years
MAX_LOST_WEIGHT = 1000.0  # --lost-weight: 0 to 1000
MAX_SETTING = 1e9  # any other rules-file number: 0 to 10^9
MAX_RETENTION_DAYS = 36_600  # nightly --retention-days: 1 to 100 years
MAX_SIM_HOURS = 24 * 366.0  # simulate --hours: up to one year of virtual time
MAX_SIM_SEED = 2**63 - 1  # simulate --seed: 0 to a SQLite / 64-bit integer's maximum
MAX_SIM_WORKERS = 64  # simulate --workers: processes (never more than the scenario's hosts)
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)  # --until, --end, --night: from 1970-01-01
LATEST = datetime(9000, 1, 1, tzinfo=UTC)  # ...to 9000-01-01 (room for windows, lookbacks)
DATE_RANGE = "1970-01-01 to 9000-01-01"


def number_in(
    name: str,
    value: float,
    low: float,
    high: float,
    *,
    low_open: bool = False,
    unit: str = "",
) -> float:
    """``value`` as a float when it is finite and within ``[low, high]`` (``(low, high]``
    with ``low_open``).

    Raises:
        UsageError: naming the option, the value and the range.
    """
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        number = math.nan
    inside = math.isfinite(number) and number <= high
    inside = inside and (number > low if low_open else number >= low)
    if not inside:
        bracket = "(" if low_open else "["
        suffix = f" {unit}" if unit else ""
        raise UsageError(
            f"{name}: expected a finite number in {bracket}{_shown(low)}, {_shown(high)}]"
            f"{suffix}, got {value!r}"
        )
    return number


def _shown(number: float) -> str:
    return f"{int(number):,}" if float(number).is_integer() else f"{number:g}"


def moment_in_range(name: str, moment: datetime, shown: object) -> datetime:
    """``moment`` (aware) when it lies in the supported date range.

    Raises:
        UsageError: naming the option and the range.
    """
    if not EARLIEST <= moment <= LATEST:
        raise UsageError(f"{name} {shown!r}: outside the supported range {DATE_RANGE}")
    return moment


def date_in_range(name: str, day: date) -> date:
    """``day`` when the whole day lies in the supported date range.

    Raises:
        UsageError: naming the option and the range.
    """
    if not EARLIEST.date() <= day < LATEST.date():
        raise UsageError(f"{name} {day.isoformat()}: outside the supported range {DATE_RANGE}")
    return day
