"""Known health of a simulated host, from the ``truth.json`` a simulation writes: down
during outages, noise bursts and 429 windows (whose Retry-After points at the window's
end), and in the first half of a slow recovery (when most calls still fail).

``outages`` already holds every down stretch of the host: its own, scheduled ones (a host
down for the whole run has one outage from ``start`` to ``end``) and its part in the
fleet's shared incidents (``fleet_incidents`` at the top level only says which hosts
shared them). A host's ``active`` stretches (when it got traffic) change nothing here: no
call is sent outside them, so its health there costs nothing either way.
"""

from __future__ import annotations

from typing import Any

from advisor.replay.health import US, Health, from_intervals
from advisor.replay.timeline import Timeline


def truth_health(truth: dict[str, Any], timeline: Timeline) -> Health:
    """The true down intervals of ``timeline``'s host, on the timeline's clock.

    Args:
        truth: the parsed ``truth.json``.
        timeline: a timeline of one of the simulation's hosts.
    """
    spec = truth["hosts"][timeline.host]
    start_us = timeline.start_us
    intervals: list[tuple[int, int]] = []
    until: list[int] = []

    def add(a: float, b: float, ra: bool = False) -> None:
        lo, hi = round(a * US) - start_us, round(b * US) - start_us
        intervals.append((lo, hi))
        until.append(hi if ra else 0)

    for a, b in [*spec.get("outages", ()), *spec.get("noise_bursts", ())]:
        add(a, b)
    for a, b in spec.get("recoveries", ()):
        add(a, (a + b) / 2)
    for a, b in (spec.get("rate_limit") or {}).get("windows", []):
        add(a, b, ra=True)
    return from_intervals(intervals, timeline.length_us, until, timeline.begin_us)
