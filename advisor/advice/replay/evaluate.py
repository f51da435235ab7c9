"""Replay one setting over a host's timeline: wasted and lost calls, opens, and how fast
the breaker detected outages and let traffic resume after them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from advisor.advice.replay.health import US
from advisor.advice.replay.machine import Setting, Transition, run_breaker, run_breakers
from advisor.advice.replay.timeline import Timeline, seconds_to_us


@dataclass(frozen=True)
class ReplayResult:
    """What a setting would have done over the recorded traffic.

    ``wasted``: calls sent while they would fail (into a down host); ``lost``: calls
    refused that would have succeeded; ``detect_s`` / ``resume_s``: medians over the down
    intervals in which the breaker opened, of the time from the interval's start to the
    open, and from its end to the next close (None without such an interval); only
    outages that start in the window are timed.
    """

    setting: Setting
    wasted: int
    lost: int
    opens: int
    outages: int | None = None
    detect_s: float | None = None
    resume_s: float | None = None

    def cost(self, lost_weight: float) -> float:
        """``wasted + lost_weight * lost``."""
        return self.wasted + lost_weight * self.lost

    def counts(self, lost_weight: float) -> dict[str, Any]:
        """``wasted``, ``lost``, ``cost`` and ``opens``."""
        return {
            "wasted": self.wasted,
            "lost": self.lost,
            "cost": round(self.cost(lost_weight), 3),
            "opens": self.opens,
        }

    def point(self, lost_weight: float) -> dict[str, Any]:
        """The setting's knobs and ``counts``: one point of a trade-off chart."""
        return {**self.setting.to_dict(), **self.counts(lost_weight)}

    def to_dict(self, lost_weight: float) -> dict[str, Any]:
        return {
            **self.point(lost_weight),
            "outages_detected": self.outages,
            "detect_s": self.detect_s,
            "resume_s": self.resume_s,
        }


def replay(timeline: Timeline, setting: Setting, *, timings: bool = True) -> ReplayResult:
    """Run ``setting``'s breaker over every run of ``timeline`` and add up the counts.

    Args:
        timeline: the host's arrivals and health.
        setting: the knobs to replay.
        timings: also measure detect and resume times (needs the transitions).
    """
    reset_us = seconds_to_us(setting.reset_timeout_s)
    cap_us = seconds_to_us(setting.retry_after_cap_s)
    opens = lost = spared = 0
    opened_at: list[int] = []
    closed_at: list[int] = []
    for run in timeline.runs:
        log: list[Transition] | None = [] if timings else None
        counts = run_breaker(
            run, setting.fail_max, reset_us, setting.success_threshold, cap_us, log
        )
        opens += counts.opens
        lost += counts.refused_ok
        spared += counts.refused_fail
        for index, _old, new in log or ():
            if new == "open":
                opened_at.append(run.t[index])
            elif new == "closed":
                closed_at.append(run.t[index])
    wasted = sum(run.failures for run in timeline.runs) - spared
    result = ReplayResult(setting, wasted, lost, opens)
    if not timings:
        return result
    outages, detect, resume = _timings(timeline, opened_at, closed_at)
    return ReplayResult(setting, wasted, lost, opens, outages, detect, resume)


class Imputed:
    """Timelines of the same arrivals under several healths (the decision model's
    imputations), replayed together: each run of the others only where it differs from
    the first one's (``machine.run_breakers``)."""

    def __init__(self, timelines: list[Timeline]) -> None:
        self.timelines = timelines
        base = timelines[0].runs
        self._runs = [[t.runs[i] for t in timelines] for i in range(len(base))]
        self._differ = [[runs[0].differences(run) for run in runs] for runs in self._runs]
        self._failures = [sum(run.failures for run in t.runs) for t in timelines]

    def costs(self, setting: Setting) -> list[tuple[int, int]]:
        """``(wasted, lost)`` of ``setting`` over each timeline, as ``replay`` counts them."""
        reset_us = seconds_to_us(setting.reset_timeout_s)
        cap_us = seconds_to_us(setting.retry_after_cap_s)
        lost = [0] * len(self.timelines)
        wasted = list(self._failures)
        for runs, differ in zip(self._runs, self._differ, strict=True):
            counts = run_breakers(
                runs, differ, setting.fail_max, reset_us, setting.success_threshold, cap_us
            )
            for i, c in enumerate(counts):
                lost[i] += c.refused_ok
                wasted[i] -= c.refused_fail
        return list(zip(wasted, lost, strict=True))


def _timings(
    timeline: Timeline, opened_at: list[int], closed_at: list[int]
) -> tuple[int, float | None, float | None]:
    health = timeline.health
    inside = health.starts >= 0  # outages that start in the window
    starts, ends = health.starts[inside], health.ends[inside]
    if not opened_at or starts.size == 0:
        return 0, None, None
    opens = np.sort(np.asarray(opened_at, np.int64))
    closes = np.sort(np.asarray(closed_at, np.int64))
    first = np.searchsorted(opens, starts, side="left")
    hit = first < opens.size
    hit[hit] = opens[first[hit]] < ends[hit]
    if not hit.any():
        return 0, None, None
    detect = (opens[first[hit]] - starts[hit]) / US
    after = np.searchsorted(closes, ends[hit], side="left")
    closed = after < closes.size
    resume = (closes[after[closed]] - ends[hit][closed]) / US
    return (
        int(hit.sum()),
        round(float(np.median(detect)), 3),
        round(float(np.median(resume)), 3) if resume.size else None,
    )
