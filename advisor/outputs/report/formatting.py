"""Plain-text formatting of numbers for the report (registered as Jinja filters).

Every function returns text, never markup: the templates escape it.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

DASH = "–"


def pct(fraction: float | None) -> str:
    """``0.412`` -> ``41 %``; small non-zero shares keep one decimal; None -> dash."""
    if fraction is None:
        return DASH
    value = fraction * 100
    if value == 0:
        return "0 %"
    if abs(value) < 10 and round(value) != value:
        return f"{value:.1f} %"
    return f"{value:.0f} %"


def duration(seconds: float | None) -> str:
    """``4379.2`` -> ``1 h 13 min``, ``42.5`` -> ``42.5 s``; None -> dash."""
    if seconds is None:
        return DASH
    if seconds < 10:
        return f"{seconds:.2g} s" if seconds < 1 else f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    total = round(seconds)
    if total < 600:
        whole, rest = divmod(total, 60)
        return f"{whole} min {rest} s" if rest else f"{whole} min"
    if total < 3600:
        return f"{round(total / 60)} min"
    hours, mins = divmod(round(total / 60), 60)
    if hours < 48:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{total / 86400:.1f} d"


def count(value: int | None) -> str:
    """``1352365`` -> ``1,352,365``; None -> dash."""
    return DASH if value is None else f"{value:,}"


def approx(number: float | None) -> str:
    """A count of calls in words' precision: ``2137.4`` -> ``~2,100``, ``12.3`` -> ``~12``,
    ``40`` -> ``40`` (exact counts stay exact); None -> dash."""
    if number is None:
        return DASH
    x = float(number)
    if 0 < abs(x) < 1:
        return "<1"
    digits = len(str(int(abs(x))))
    rounded = round(x) if digits <= 3 else round(x, 2 - digits)
    text = f"{int(rounded):,}"
    return text if rounded == x else f"~{text}"


def value(item: Any) -> str:
    """A setting or evidence value: numbers without noise, lists joined, None -> dash."""
    if item is None:
        return DASH
    if isinstance(item, bool):
        return "yes" if item else "no"
    if isinstance(item, int):
        return f"{item:,}" if abs(item) >= 10_000 else str(item)
    if isinstance(item, float):
        if math.isnan(item) or math.isinf(item):
            return str(item)
        if item.is_integer() and abs(item) < 1e15:
            return value(int(item))
        if abs(item) < 0.001:
            return "≈0" if item else "0"
        return f"{item:.3g}" if abs(item) < 1 else f"{item:,.1f}".rstrip("0").rstrip(".")
    if isinstance(item, list | tuple):
        return ", ".join(value(i) for i in item)
    if isinstance(item, dict):
        return ", ".join(f"{k} {value(v)}" for k, v in item.items())
    return str(item)


def timestamp(moment: datetime | float | None) -> str:
    """UTC time as ``2026-11-28 04:00:00Z`` (epoch seconds or aware datetime)."""
    if moment is None:
        return DASH
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def label(name: str) -> str:
    """An evidence key in prose: ``episode_duration_s_p50`` -> ``episode duration s p50``."""
    return name.replace("_", " ")


def exact(item: Any) -> str:
    """The exact value as JSON text, for ``data-value`` attributes tests compare."""
    return json.dumps(item, allow_nan=False)


FILTERS = {
    "pct": pct,
    "duration": duration,
    "count": count,
    "approx": approx,
    "value": value,
    "timestamp": timestamp,
    "label": label,
    "exact": exact,
}
