"""rolling-window: did ``advanced.rolling`` help, and which thresholds would do better.

Only when the configuration enables the policy. Each host's recorded traffic is replayed
(``replay.machine.step_breaker``) under its current breaker with the policy and without
it: the cooldowns it set (``extra``: set by a failure that did not also open the
breaker, i.e. ones the consecutive-failure breaker alone would not have), the failed
calls into a down host it saved and the healthy calls it lost. The policy is one
setting for the whole fleet, so its values are searched on the sum over every replayed
host of ``wasted + w * lost``: today's values, each halved and doubled, and the policy
off; a change needs to lower that sum by more than 2 % + 1 call. Every host the policy
acted on (or would act on) gets the fleet's suggestion with its own counts, or a note
that keeps the thresholds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import astuple, dataclass, replace
from itertools import product
from typing import Any, Protocol, TypeVar

from advisor.advice.replay.machine import Rolling, Setting, run_breaker, step_breaker
from advisor.advice.replay.timeline import Timeline, seconds_to_us
from advisor.config import RollingSettings
from advisor.model import Recommendation
from advisor.rule_settings import RuleSettings

NAME = "rolling-window"
PARAMETERS = ("rolling.enabled", "rolling.window_s", "rolling.threshold_failures",
              "rolling.cooldown_s")  # fmt: skip
"""The ``parameter`` values of this rule: the keys of ``advanced.rolling``."""

K = TypeVar("K")


@dataclass(frozen=True)
class Effect:
    """A replay of one host's timeline with a policy (or none): calls sent into a down
    host (``wasted``), healthy calls refused (``lost``), breaker opens, and what the
    policy did (its cooldowns, the ``extra`` ones, the calls refused during them)."""

    wasted: int = 0
    lost: int = 0
    opens: int = 0
    cooldowns: int = 0
    extra: int = 0
    refused: int = 0

    def cost(self, lost_weight: float) -> float:
        """``wasted + lost_weight * lost``."""
        return self.wasted + lost_weight * self.lost

    def to_dict(self, lost_weight: float) -> dict[str, Any]:
        return {
            "wasted": self.wasted,
            "lost": self.lost,
            "cost": round(self.cost(lost_weight), 3),
            "opens": self.opens,
            "cooldowns": self.cooldowns,
            "extra_cooldowns": self.extra,
            "refused_in_cooldowns": self.refused,
        }


def effect(timeline: Timeline, setting: Setting, policy: RollingSettings | None) -> Effect:
    """Replay ``timeline`` under the breaker ``setting`` with ``policy`` (None: without)."""
    reset_us = seconds_to_us(setting.reset_timeout_s)
    cap_us = seconds_to_us(setting.retry_after_cap_s)
    rolling = None
    if policy is not None:
        rolling = Rolling(
            seconds_to_us(policy.window_s),
            policy.threshold_failures,
            seconds_to_us(policy.cooldown_s),
        )
    knobs = (setting.fail_max, reset_us, setting.success_threshold, cap_us)
    total = Effect()
    for run in timeline.runs:
        if rolling is None:
            c = run_breaker(run, *knobs)
            got = Effect(run.failures - c.refused_fail, c.refused_ok, c.opens)
        else:
            s = step_breaker(run, *knobs, rolling=rolling)
            got = Effect(run.failures - s.refused_fail, s.refused_ok, s.opens, s.cooldowns,
                         s.extra, s.rolling_refused)  # fmt: skip
        total = Effect(*(a + b for a, b in zip(astuple(total), astuple(got), strict=True)))
    return total


def candidates(policy: RollingSettings) -> list[RollingSettings | None]:
    """Today's policy first, then each value halved and doubled, then the policy off."""
    found: list[RollingSettings | None] = [policy]
    thresholds = sorted({max(2, policy.threshold_failures // 2), policy.threshold_failures,
                         policy.threshold_failures * 2})  # fmt: skip
    windows = (policy.window_s / 2, policy.window_s, policy.window_s * 2)
    cooldowns = (policy.cooldown_s / 2, policy.cooldown_s, policy.cooldown_s * 2)
    for n, w, c in product(thresholds, windows, cooldowns):
        other = replace(policy, threshold_failures=n, window_s=w, cooldown_s=c)
        if other != policy:
            found.append(other)
    found.append(None)
    return found


def advise_rolling(
    timelines: Mapping[K, Timeline],
    currents: Mapping[K, Mapping[str, Any]],
    policy: RollingSettings | None,
    settings: RuleSettings,
) -> dict[K, list[Recommendation]]:
    """The rolling-window recommendations of each host (or breaker) of ``timelines``
    (each replayed under its ``currents`` breaker setting); empty without a policy."""
    if policy is None or not policy.enabled:
        return {}
    w = settings.lost_weight
    options = candidates(policy)
    setting = {key: Setting.from_current(dict(currents[key])) for key in timelines}
    effects = {
        key: [effect(timelines[key], setting[key], option) for option in options]
        for key in timelines
        if timelines[key].runs
    }
    if not effects:
        return {}
    fleet = [sum(found[i].cost(w) for found in effects.values()) for i in range(len(options))]
    best = min(range(len(options)), key=lambda i: (fleet[i], i))
    if fleet[best] >= fleet[0] - (0.02 * fleet[0] + 1):
        best = 0
    chosen = options[best]
    result: dict[K, list[Recommendation]] = {}
    for key, found in effects.items():
        now, new, off = found[0], found[best], found[-1]
        if not now.cooldowns and not new.cooldowns:
            continue
        evidence = {
            "rolling": {
                "current": now.to_dict(w),
                "suggested": new.to_dict(w),
                "without": off.to_dict(w),
            },
            "fleet_cost": {"current": round(fleet[0], 3), "suggested": round(fleet[best], 3)},
        }
        reason = _helped(now, off, policy)
        result[key] = _recommendations(policy, chosen, reason, evidence)
    return result


def _helped(now: Effect, off: Effect, policy: RollingSettings) -> str:
    """Whether today's thresholds helped on this host, in words."""
    saved, lost = off.wasted - now.wasted, now.lost - off.lost
    calls = (
        f"saved {saved} failed call(s) into a down host"
        if saved >= 0
        else f"sent {-saved} more failed call(s) into a down host"
    )
    calls += (
        f" and lost {lost} healthy one(s)"
        if lost >= 0
        else f" and {-lost} fewer healthy one(s) refused"
    )
    return (
        f"the rolling window ({policy.threshold_failures} failures within "
        f"{policy.window_s:g} s -> {policy.cooldown_s:g} s cooldown) set {now.cooldowns} "
        f"cooldown(s), {now.extra} where the consecutive-failure breaker alone would not "
        f"have opened, and refused {now.refused} call(s): against the breaker alone it "
        f"{calls}"
    )


def _recommendations(
    policy: RollingSettings,
    chosen: RollingSettings | None,
    reason: str,
    evidence: dict[str, Any],
) -> list[Recommendation]:
    fleet = evidence["fleet_cost"]
    if chosen == policy:
        keep = "keep the thresholds: no other tried lowers the fleet's cost by more than 2 %"
        return [Recommendation("rolling.enabled", True, True, "medium", NAME, (reason, keep),
                               evidence)]  # fmt: skip
    if chosen is None:
        why = (
            f"turning the policy off lowers the fleet's expected cost from {fleet['current']:g} "
            f"to {fleet['suggested']:g}"
        )
        return [Recommendation("rolling.enabled", True, False, "medium", NAME, (reason, why),
                               evidence)]  # fmt: skip
    why = (
        f"these thresholds lower the fleet's expected cost from {fleet['current']:g} to "
        f"{fleet['suggested']:g}"
    )
    now, new = policy.to_dict(), chosen.to_dict()
    return [
        Recommendation(
            f"rolling.{key}", now[key], new[key], "medium", NAME, (reason, why), evidence
        )  # fmt: skip
        for key in ("threshold_failures", "window_s", "cooldown_s")
        if now[key] != new[key]
    ]


class Advised(Protocol):
    """Advice of a host or breaker (``engine.HostAdvice``): a list to extend."""

    recommendations: list[Recommendation]


Group = tuple[Mapping[Any, Timeline], Mapping[Any, Mapping[str, Any]], Mapping[Any, Advised]]
"""Timelines, current settings and advice of hosts (or of breakers), keyed alike."""


def attach(policy: RollingSettings | None, settings: RuleSettings, *groups: Group) -> None:
    """Add the rolling-window recommendations to the advice of every group's entries,
    searched over all groups' timelines together (the policy is fleet-wide); an entry
    without advice (a result reused from the cache) is left alone."""
    if policy is None:
        return
    timelines = {(g, key): t for g, (found, _, _) in enumerate(groups) for key, t in found.items()}
    currents = {(g, key): groups[g][1][key] for g, key in timelines}
    for (g, key), recs in advise_rolling(timelines, currents, policy, settings).items():
        advice = groups[g][2].get(key)
        if advice is not None:
            advice.recommendations.extend(recs)
