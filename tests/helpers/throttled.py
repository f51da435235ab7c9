"""A host called ~3/s for 100 minutes whose ten 2-minute storms answer 80 % of calls
with HTTP 429 (Retry-After 30 s), behind an independently simulated breaker."""

from __future__ import annotations

import random

from tests.helpers.breaker_sim import SimResult, arrivals, down_between, simulate


def throttled_host(host: str) -> SimResult:
    """The recorded rows of the host (``.rows``), fail_max 12, reset 60 s."""
    storms = [(200 + k * 600, 320 + k * 600) for k in range(10)]
    rng = random.Random(7)

    def outcome(t, down):
        if down and rng.random() < 0.8:
            return False, 429, 30.0
        return True, 200, None

    return simulate(
        host, arrivals(3, 6000, seed=7), down_between(storms),
        fail_max=12, reset_timeout_s=60, outcome=outcome,
    )  # fmt: skip
