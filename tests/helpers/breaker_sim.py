"""A plain, independent breaker simulation for rules tests: scripted host health,
request arrivals, and a pybreaker-like state machine (consecutive failures open it,
the first call after reset_timeout is a half-open trial). It writes seed-layout rows
and counts the true cost sides: calls sent while the host was down (wasted) and
calls refused while it was up (lost)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.helpers.manifests import T0

Outcome = tuple[bool, int | None, float | None]  # ok, HTTP status, Retry-After


@dataclass
class SimResult:
    rows: list[tuple] = field(default_factory=list)
    wasted: int = 0  # calls that reached the host while it was down
    lost: int = 0  # calls refused while the host was up
    opens: int = 0

    def cost(self, w: float = 0.5) -> float:
        return self.wasted + w * self.lost


def arrivals(rate: float, seconds: float, seed: int = 1) -> list[float]:
    """Poisson arrivals at ``rate`` per second over ``[0, seconds)``."""
    rng, t, out = random.Random(seed), 0.0, []
    while True:
        t += rng.expovariate(rate)
        if t >= seconds:
            return out
        out.append(t)


def down_between(outages: list[tuple[float, float]]) -> Callable[[float], bool]:
    return lambda t: any(a <= t < b for a, b in outages)


def simulate(
    host: str,
    times: list[float],
    is_down: Callable[[float], bool],
    *,
    fail_max: int,
    reset_timeout_s: float,
    success_threshold: int = 1,
    outcome: Callable[[float, bool], Outcome] | None = None,
    record: bool = True,
) -> SimResult:
    """Run the breaker over ``times`` (seconds after T0)."""
    outcome = outcome or (lambda t, down: (not down, 503 if down else 200, None))
    res = SimResult()
    state, fails, opened_at, trial_ok = "closed", 0, 0.0, 0

    def change(t: float, new: str) -> None:
        nonlocal state
        if record:
            res.rows.append(
                (T0 + t, host, "state_change",
                 {"old_state": state, "new_state": new, "reset_timeout_s": reset_timeout_s})
            )  # fmt: skip
        state = new

    for t in times:
        down = is_down(t)
        if state == "open":
            if t - opened_at >= reset_timeout_s:
                change(t, "half_open")
                trial_ok = 0
            else:
                res.lost += 0 if down else 1
                if record:
                    res.rows.append((T0 + t, host, "rejected", {"state": "open"}))
                continue
        admitted = state
        ok, status, retry_after = outcome(t, down)
        res.wasted += 1 if down else 0
        details: dict[str, Any] = {"state": admitted, "status": status}
        if retry_after is not None:
            details["retry_after_s"] = retry_after
        if record:
            res.rows.append((T0 + t, host, "success" if ok else "failure", details))
        if ok:
            fails = 0
            if state == "half_open":
                trial_ok += 1
                if trial_ok >= success_threshold:
                    change(t, "closed")
        else:
            if state == "half_open":
                change(t, "open")
                opened_at = t
            else:
                fails += 1
                if fails >= fail_max:
                    change(t, "open")
                    opened_at = t
                    res.opens += 1
                    fails = 0
    return res
