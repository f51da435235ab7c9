"""false-open (``fail_max`` up) and late-detection (``fail_max`` down): one cost curve.

Noise failure streaks in healthy periods follow P(streak >= k) = p^(k-1); each one
that reaches ``fail_max`` is a false open that refuses healthy calls. Each real
outage sends ``fail_max`` calls into the dead host before the breaker opens. The
``fail_max`` minimising wasted + w * lost wins; the direction names the rule.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from advisor.rules.base import Proposal
from advisor.rules.cost import fail_max_cost, geometric_continue_probability
from advisor.rules.evidence import HostEvidence
from advisor.rules.stats import confidence, proportion

RAISE, LOWER = "false-open", "late-detection"


def propose(ev: HostEvidence, current: dict[str, Any], settings: dict[str, Any]) -> list[Proposal]:
    now = current.get("fail_max")
    reset = current.get("reset_timeout_s")
    if not now or not reset or ev.rate <= 0:
        return []
    episodes = ev.tuning_episodes()
    noise_starts = {e.started_at for e in episodes if e.is_noise}
    uncensored = [s.length for s in ev.streaks if s.ended_by == "success" for _ in range(s.count)]
    censored = [
        s.length
        for s in ev.streaks
        if s.ended_by == "open" and s.ended_at in noise_starts
        for _ in range(s.count)
    ]
    noise_streaks = len(uncensored) + len(censored)
    real = sum(1 for e in episodes if not e.is_noise)
    p = geometric_continue_probability(uncensored, censored)
    if p is None or noise_streaks < settings["false_open"]["min_streaks"] or not episodes:
        return []
    noise_durations = [e.duration_s for e in episodes if e.is_noise]
    open_for = float(np.median(noise_durations)) if noise_durations else float(reset)
    lost_per_false_open = max(ev.rate * open_for, 0.0)
    low, high = settings["bounds"]["fail_max"]
    candidates = np.arange(int(low), int(high) + 1)
    w = settings["lost_weight"]

    def evaluate(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return fail_max_cost(
            values,
            noise_streaks=noise_streaks,
            continue_p=p,
            real_outages=real,
            lost_per_false_open=lost_per_false_open,
            w=w,
        )

    costs, _, _ = evaluate(candidates)
    best = int(candidates[int(np.argmin(costs))])
    if best == now:
        return []
    rule = RAISE if best > now else LOWER
    _, wasted_now, lost_now = evaluate(np.array([float(now)]))
    _, wasted_best, lost_best = evaluate(np.array([float(best)]))
    false_opens = len([e for e in episodes if e.is_noise])
    reasons = [
        f"{proportion(false_opens, len(episodes))} opens were false (first half-open trial "
        f"succeeded); healthy failure streaks continue with p={p:.2f}, so fail_max {now} "
        f"gives ~{lost_now[0] / max(lost_per_false_open, 1e-9):.1f} false opens "
        f"(~{lost_now[0]:.0f} calls refused) and {real} real outages waste {wasted_now[0]:.0f} "
        f"calls before opening; fail_max {best}: ~{lost_best[0]:.0f} refused, "
        f"{wasted_best[0]:.0f} wasted"
    ]
    return [
        Proposal(
            parameter="fail_max",
            suggested=best,
            rule=rule,
            confidence=confidence(noise_streaks if rule == RAISE else real, settings),
            reasons=reasons,
            evidence={
                "noise_streaks": noise_streaks,
                "streak_continue_p": round(p, 4),
                "false_opens": false_opens,
                "real_outages": real,
                "calls_refused_per_false_open": round(lost_per_false_open, 3),
                "wasted": {"current": float(wasted_now[0]), "suggested": float(wasted_best[0])},
                "lost": {"current": float(lost_now[0]), "suggested": float(lost_best[0])},
            },
            cost=lambda value: float(evaluate(np.array([float(value)]))[0][0]),
        )
    ]
