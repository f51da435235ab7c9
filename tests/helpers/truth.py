"""The simulator's ground truth as a replay ``Health``: scoring advice against what the
simulated hosts really did (the bench and the simulator's tests)."""

from __future__ import annotations

from typing import Any

from advisor.advice.replay.health import US, Health, from_intervals
from advisor.advice.replay.timeline import Timeline
from advisor.simulate.truth import down_stretches


def truth_health(truth: dict[str, Any], timeline: Timeline) -> Health:
    """The true down intervals of ``timeline``'s host, on the timeline's clock."""
    start_us = timeline.start_us
    intervals, until = [], []
    for a, b, retry_after in down_stretches(truth, timeline.host):
        lo, hi = round(a * US) - start_us, round(b * US) - start_us
        intervals.append((lo, hi))
        until.append(hi if retry_after else 0)
    return from_intervals(intervals, timeline.length_us, until, timeline.begin_us)
