"""recovery-time -> ``reset_timeout_s``: the timeout that minimises expected wasted
probes plus lost calls over the host's own recovery times (never the open duration,
which only echoes the configured timeout)."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from advisor.rules.base import Proposal
from advisor.rules.cost import recovery_cost, recovery_cost_samples, recovery_samples
from advisor.rules.evidence import HostEvidence
from advisor.rules.stats import confidence

NAME = "recovery-time"
MAX_EPISODES = 60
GRID_POINTS = 40  # candidate timeouts, log-spaced over the bounds (~18 % apart)


def retry_after_floor(ev: HostEvidence, settings: dict[str, Any]) -> float | None:
    """Median Retry-After the server asked for, when it asked often enough."""
    values = ev.retry_after_values
    if len(values) < settings["retry_after_cap"]["min_values"]:
        return None
    return float(np.median(values))


def propose(ev: HostEvidence, current: dict[str, Any], settings: dict[str, Any]) -> list[Proposal]:
    episodes = ev.tuning_episodes()
    if len(episodes) > MAX_EPISODES:  # evenly spread: the distribution, at bounded cost
        step = len(episodes) / MAX_EPISODES
        episodes = [episodes[int(i * step)] for i in range(MAX_EPISODES)]
    now = current.get("reset_timeout_s")
    if len(episodes) < settings["recovery_time"]["min_episodes"] or ev.rate <= 0 or not now:
        return []
    w = settings["lost_weight"]
    bounds = [e.recovery_bounds() for e in episodes]
    outages = recovery_samples(bounds)
    censored = np.array([e.censored for e in episodes])
    low, high = settings["bounds"]["reset_timeout_s"]
    grid = np.unique(np.concatenate([np.geomspace(low, high, GRID_POINTS), [float(now)]]))
    wasted, lost = recovery_cost(outages, censored, grid, ev.rate)
    costs = wasted + w * lost
    best = float(grid[int(np.argmin(costs))])
    floor = retry_after_floor(ev, settings)
    if floor is not None and best < floor:
        best = floor

    @functools.cache
    def samples(timeout: float) -> tuple[np.ndarray, np.ndarray]:
        wa, lo = recovery_cost_samples(outages, censored, np.array([timeout]), ev.rate)
        return wa[0], lo[0]

    def cost_of(timeout: float) -> float:
        wa, lo = samples(float(timeout))
        return float(wa.mean(axis=1).sum() + w * lo.mean(axis=1).sum())

    def cost_samples(timeout: float) -> np.ndarray:
        wa, lo = samples(float(timeout))
        return (wa + w * lo).ravel()

    def per_outage(timeout: float) -> tuple[float, float]:
        wa, lo = samples(float(timeout))
        return float(wa.mean(axis=1).mean()), float(lo.mean(axis=1).mean())

    mids = sorted((lo + hi) / 2 for lo, hi in bounds)
    p50 = float(np.median(mids))
    lo50 = float(np.median([lo for lo, _ in bounds]))
    hi50 = float(np.median([hi for _, hi in bounds]))
    w_best, l_best = per_outage(best)
    w_now, l_now = per_outage(now)
    span = f"{hi50:.0f} s" if hi50 - lo50 < 1 else f"{lo50:.0f}-{hi50:.0f} s"
    reasons = [
        f"outages ended p50 {span} after the breaker opened ({len(episodes)} episodes) at "
        f"{ev.rate:.3g} calls/s: probing every {best:.0f} s wastes ~{w_best:.1f} calls per "
        f"outage and loses ~{l_best:.1f} after recovery; today's {now:g} s wastes "
        f"~{w_now:.1f} and loses ~{l_now:.1f}"
    ]
    if floor is not None and best == floor:
        reasons.append(f"the server's Retry-After (median {floor:.0f} s) is the floor for probing")
    return [
        Proposal(
            parameter="reset_timeout_s",
            suggested=best,
            rule=NAME,
            confidence=confidence(len(episodes), settings),
            reasons=reasons,
            evidence={
                "episodes": len(episodes),
                "censored_episodes": int(censored.sum()),
                "recovery_s_p50": round(p50, 3),
                "request_rate_per_s": round(ev.rate, 6),
                "optimal_reset_timeout_s": round(best, 3),
                "retry_after_floor_s": floor,
                "wasted_per_outage": {"current": round(w_now, 3), "suggested": round(w_best, 3)},
                "lost_per_outage": {"current": round(l_now, 3), "suggested": round(l_best, 3)},
            },
            cost=cost_of,
            cost_samples=cost_samples,
        )
    ]
