"""A scripted slow-recovering host run through the independent breaker simulation:
12 outages of 2 to 6 minutes over 6 hours, calls at 0.5/s (rules, patch and notebook
tests share it so that they check advice on the same known truth)."""

from __future__ import annotations

import random

from tests.helpers.breaker_sim import SimResult, arrivals, down_between, simulate

HOURS = 3600.0

_LENGTHS = random.Random(33)
SLOW_OUTAGES = [(600 + k * 1800, 600 + k * 1800 + _LENGTHS.uniform(120, 360)) for k in range(12)]
SLOW_TIMES = arrivals(0.5, 6 * HOURS, seed=3)


def slow_host(
    reset: float, record: bool = True, fail_max: int = 3, threshold: int = 1
) -> SimResult:
    """``slow.example`` under a breaker with these knobs (rows only when ``record``)."""
    return simulate(
        "slow.example", SLOW_TIMES, down_between(SLOW_OUTAGES),
        fail_max=fail_max, reset_timeout_s=reset, success_threshold=threshold, record=record,
    )  # fmt: skip
