"""Axis ticks people read at a glance: whole numbers on count axes, round durations
(30 s, 2 min, 1 h) on duration axes, instead of Plotly's automatic 0 / 147 / 293."""

from __future__ import annotations

import math
from typing import Any

# Round durations (seconds) a duration axis may tick at, smallest first.
DURATION_TICKS_S = (
    0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 300, 600, 900, 1200, 1800, 3600,
    7200, 10800, 21600, 43200, 86400, 172800, 604800,
)  # fmt: skip
MAX_TICKS = 6


def count_step(top: float, ticks: int = MAX_TICKS) -> int:
    """The smallest whole 1/2/5 x 10^k step that puts at most ``ticks`` ticks up to ``top``."""
    step = 1
    while top / step > ticks - 1:
        step = step * 5 // 2 if str(step)[0] == "2" else step * 2
    return step


def count_axis(top: float, **extra: Any) -> dict[str, Any]:
    """A linear axis of whole counts from 0 to at least ``top``: integer ticks only."""
    top = max(float(top), 1.0)
    step = count_step(top)
    return {
        "range": [0, top * 1.08],
        "tick0": 0,
        "dtick": step,
        "tickformat": "d",
        **extra,
    }


UNITS = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))


def duration_label(seconds: float, unit_of: float | None = None) -> str:
    """A round duration as a tick label (``0``, ``30 s``, ``2 min``, ``1.5 h``, ``2 d``) in
    the largest unit that fits ``unit_of`` (default: ``seconds`` itself)."""
    if seconds == 0:
        return "0"
    basis = seconds if unit_of is None else unit_of
    unit, size = next(((u, s) for u, s in UNITS if basis >= s), UNITS[-1])
    return f"{seconds / size:g} {unit}"


def duration_axis(top_s: float, **extra: Any) -> dict[str, Any]:
    """A linear axis of seconds from 0 to at least ``top_s``, ticked at round durations."""
    top_s = max(float(top_s), 1.0)
    step = next((s for s in DURATION_TICKS_S if top_s / s <= MAX_TICKS - 1), None)
    if step is None:
        step = 86400 * count_step(top_s / 86400)
    ticks = [i * step for i in range(int(top_s // step) + 2)]
    return {
        "range": [0, max(top_s * 1.08, ticks[-2] if len(ticks) > 1 else step)],
        "tickvals": ticks,
        "ticktext": [duration_label(t, step) for t in ticks],
        **extra,
    }


def log_duration_axis(low_s: float, high_s: float, **extra: Any) -> dict[str, Any]:
    """A log axis of seconds over ``[low_s, high_s]`` with at most ~8 round-duration ticks."""
    low_s, high_s = max(low_s, 0.05), max(high_s, low_s * 1.5)
    inside = [t for t in DURATION_TICKS_S if low_s <= t <= high_s]
    ratio = (high_s / low_s) ** (1 / 8)
    ticks: list[float] = []
    for tick in inside:
        if not ticks or tick / ticks[-1] >= ratio:
            ticks.append(tick)
    return {
        "type": "log",
        "range": [math.log10(low_s), math.log10(high_s)],
        "tickvals": ticks,
        "ticktext": [duration_label(t) for t in ticks],
        **extra,
    }
