"""Known health of a simulated host, from the ``truth.json`` a simulation writes: down
during outages, noise bursts and 429 windows (whose Retry-After points at the window's
end), and in the first half of a slow recovery (when most calls still fail)."""

from __future__ import annotations

from typing import Any

from advisor.replay.health import US, Health, from_intervals


def truth_health(truth: dict[str, Any], host: str, start_us: int, length_us: int) -> Health:
    """``host``'s true down intervals, relative to a window starting at ``start_us``.

    Args:
        truth: the parsed ``truth.json``.
        host: a host of the simulation.
        start_us: window start, epoch microseconds.
        length_us: window length in microseconds.
    """
    spec = truth["hosts"][host]
    intervals: list[tuple[int, int]] = []
    until: list[int] = []

    def add(a: float, b: float, ra: bool = False) -> None:
        lo, hi = round(a * US) - start_us, round(b * US) - start_us
        intervals.append((lo, hi))
        until.append(hi if ra else 0)

    for a, b in spec["outages"] + spec["noise_bursts"]:
        add(a, b)
    for a, b in spec["recoveries"]:
        add(a, (a + b) / 2)
    for a, b in (spec.get("rate_limit") or {}).get("windows", []):
        add(a, b, ra=True)
    return from_intervals(intervals, length_us, until)
