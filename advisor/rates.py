"""Rate limits in the deployment guide's syntax: ``10/s,1000/h``, ``1/3s``.

A spec is one or more ``COUNT/[MULTIPLE]UNIT`` limits separated by commas (units ``s``,
``min``, ``h``, ``d``); every limit applies, so the rate it allows in the long run is the
smallest of them. The advisor reads specs (the legacy ``resolver_throttles:`` block) and
writes them (rate advice as a ``--rate HOST=SPEC`` line).
"""

from __future__ import annotations

import math
import re

from advisor.errors import ConfigError

UNIT_SECONDS = {"s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "hour": 3600.0,
                "d": 86400.0, "day": 86400.0}  # fmt: skip
SPEC_FORM = "COUNT/[N]UNIT[,COUNT/[N]UNIT...] with UNIT s, min, h or d (e.g. 10/s,1000/h or 1/3s)"
_LIMIT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)?\s*([a-z]+)\s*$")
# periods tried, shortest first, when writing a rate: the first whose whole count is
# within 5 % below the rate wins (``1.7/s`` -> ``17/10s``, ``0.333/s`` -> ``1/3s``)
_PERIODS_S = (1, 2, 3, 4, 5, 6, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600, 86400)
_CLOSE = 0.95
_ROUNDING = 1.005  # a rate written to 3 significant digits ("0.333/s") may be 1/3


def parse_rate_spec(spec: str, where: str) -> float:
    """The long-run rate, in calls per second, that ``spec`` allows.

    Args:
        spec: e.g. ``"10/s,1000/h"`` (0.278/s: the hourly limit binds) or ``"1/3s"``.
        where: the file and key (or flag) the spec came from, for error messages.

    Raises:
        ConfigError: not a spec (the message names ``where`` and the expected form).
    """
    rates = []
    parts = str(spec).split(",")
    for part in parts:
        match = _LIMIT.match(part.lower())
        unit = UNIT_SECONDS.get(match.group(3)) if match else None
        if match is None or unit is None:
            raise ConfigError(f"{where}: {spec!r}: expected {SPEC_FORM}")
        count, multiple = float(match.group(1)), float(match.group(2) or 1)
        if count <= 0 or multiple <= 0:
            raise ConfigError(f"{where}: {spec!r}: counts and periods must be above 0")
        rates.append(count / (multiple * unit))
    return min(rates)


def format_rate_spec(per_s: float) -> str:
    """A rate in calls per second written as the guide writes limits: a whole count per
    the shortest period that keeps it within 5 % below the rate, never above it (but
    for the rounding of a rate written to 3 significant digits)
    (``10.4`` -> ``10/s``, ``1/3`` -> ``1/3s``, ``0.001`` -> ``86/d``; at least ``1/d``)."""
    if not math.isfinite(per_s) or per_s <= 0:
        raise ValueError(f"a rate must be a positive finite number, got {per_s!r}")
    if per_s < 1:  # one call every K seconds reads best ("1/3s")
        every = max(1, round(1 / per_s))
        every = every if 1 / every <= per_s * _ROUNDING else math.ceil(1 / per_s)
        if every <= 3600 and 1 / every >= _CLOSE * per_s:
            return _limit(1, every)
    for period in _PERIODS_S:
        count = math.floor(per_s * period * _ROUNDING)
        if count >= 1 and count / period >= _CLOSE * per_s:
            return _limit(count, period)
    per_day = math.floor(per_s * 86400 * _ROUNDING)
    return f"{max(1, per_day)}/d"


def _limit(count: int, period: int) -> str:
    if period == 1:
        return f"{count}/s"
    if period == 3600:
        return f"{count}/h"
    if period == 86400:
        return f"{count}/d"
    return f"{count}/{period}s"
