"""The breaker knobs (``fail_max``, ``reset_timeout_s``, ``success_threshold``) from one
decision model instead of rules that veto each other (docs/design.md, "How the
advisor decides"): fit the host (``model``), price every candidate (``decision``), and
turn the cheapest change into proposals that quote both sides of the trade-off.

Rule names stay those users know: ``recovery-time`` (reset_timeout_s), ``false-open``
(fail_max up), ``late-detection`` (fail_max down), ``flapping`` (success_threshold).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from advisor.advice.replay.machine import Setting
from advisor.advice.rules.base import Proposal
from advisor.advice.rules.decision import KNOBS, RESAMPLES, Decision, decide
from advisor.advice.rules.evidence import HostEvidence
from advisor.advice.rules.model import fit_durations, imputations, typical_outages
from advisor.rule_settings import RuleSettings

RAISE, LOWER = "false-open", "late-detection"
NAMES = ("recovery-time", RAISE, LOWER, "flapping")


@dataclass(frozen=True)
class Outcome:
    """What the model said about a host: proposals, or why nothing changes."""

    proposals: list[Proposal]
    unchanged: str | None = None
    decision: Decision | None = None


def _rule(knob: str, now: float, new: float) -> str:
    if knob == "reset_timeout_s":
        return "recovery-time"
    if knob == "fail_max":
        return RAISE if new > now else LOWER
    return "flapping"


def _confidence(decision: Decision, ev: HostEvidence, settings: RuleSettings) -> str:
    cfg = settings.decision
    share = decision.share or 0.0
    enough = len(ev.tuning_episodes()) >= settings.evidence.min_episodes
    if share >= cfg.high_share and enough:
        return "high"
    if share >= cfg.medium_share and enough:
        return "medium"
    return "low"


def _noise(decision: Decision, settings: RuleSettings) -> float:
    """A saving below this is noise: ``min_saving_calls``, or ``min_saving_fraction`` of
    today's expected cost."""
    before = decision.costs[decision.current].cost
    return max(settings.min_saving_calls, settings.min_saving_fraction * before)


def _fmt(setting: Setting) -> str:
    return (
        f"fail_max {setting.fail_max}, reset_timeout_s {setting.reset_timeout_s:g}, "
        f"success_threshold {setting.success_threshold}"
    )


def propose(
    ev: HostEvidence,
    current: dict[str, Any],
    settings: RuleSettings,
    *,
    cap_s: float | None = None,
    rate_limited: bool = False,
    fleet_spans: list[tuple[datetime, datetime]] | None = None,
) -> Outcome:
    """Proposals for the knobs the decision model changes.

    Args:
        ev: the host's evidence, with its recorded ``timeline``.
        current: today's knobs (contract keys).
        settings: rule settings (``decision``, ``bounds``, ``lost_weight``...).
        cap_s: the Retry-After cap that will apply (a suggested new one), else today's.
        rate_limited: 429-dominated: fail_max may not rise (throttling is no noise).
        fleet_spans: fleet incidents this host took part in: their stretches are left
            out of the fit of its outage durations (they still cost calls).
    """
    if ev.timeline is None or not ev.timeline.runs or not ev.failures:
        return Outcome([])
    if not current.get("fail_max") or not current.get("reset_timeout_s"):
        return Outcome([], "today's fail_max / reset_timeout_s are unknown")
    longest = max((max(run.streak, default=0) for run in ev.timeline.runs), default=0)
    if ev.timeline.refused == 0 and longest < 2:  # no candidate (fail_max >= 2) would open
        return Outcome([])
    # a fleet incident's stretches stay in the traffic (they cost calls like any other)
    # but not in the fit of the host's own outages
    timeline = ev.timeline
    spans = fleet_spans or []
    today = Setting.from_current(current)
    name = f"{ev.host}:{ev.role}" if ev.role else ev.host  # seeds this breaker's draws
    fit = fit_durations(timeline, spans)
    decision = decide(
        imputations(timeline, fit, seed=zlib.crc32(name.encode())),
        today,
        settings,
        name,
        cap_s=cap_s,
        max_fail=today.fail_max if rate_limited else None,
        outage_s=typical_outages(timeline, fit, spans),
    )
    costs = decision.costs
    now, best, opt = costs[decision.current], costs[decision.chosen], costs[decision.optimum]
    if not decision.changed:
        return Outcome(
            [],
            f"today's setting is within {settings.decision.tolerance_fraction:.0%} of "
            f"the cheapest one the model finds (expected cost {now.cost:.1f} vs "
            f"{opt.cost:.1f} calls over the window)",
            decision,
        )
    share = decision.share or 0.0
    if decision.saving() < _noise(decision, settings):
        return Outcome(
            [],
            f"the model prefers {_fmt(decision.chosen)}, but it saves only "
            f"{decision.saving():.1f} of {now.cost:.1f} expected calls: within noise",
            decision,
        )
    if share < settings.decision.min_share:
        return Outcome(
            [],
            f"the model prefers {_fmt(decision.chosen)} (expected cost {best.cost:.1f} vs "
            f"{now.cost:.1f} today) but it lowers cost in only {share:.0%} of "
            f"{RESAMPLES} resamples over {decision.n} stretches of trouble: more outages "
            "would tell",
            decision,
        )
    confidence = _confidence(decision, ev, settings)
    evidence = {
        "expected_cost": {
            "current": round(now.cost, 2),
            "suggested": round(best.cost, 2),
            "optimum": round(opt.cost, 2),
        },
        "expected": {"current": now.to_dict(), "suggested": best.to_dict()},
        "optimum_setting": decision.optimum.to_dict(),
        "confidence_share": round(share, 3),
        "n": decision.n,
        "request_rate_per_s": round(ev.rate, 6),
        "active_s": round(ev.active_s, 1),
    }
    if fit is not None:
        evidence["outage_fit"] = {
            "median_s": round(fit.median_s, 3),
            "sigma": round(fit.sigma, 3),
            "stretches": fit.n,
        }
    reason = (
        f"over {ev.active_s / 3600:.1f} active hours at {ev.rate:.3g} calls/s, "
        f"{_fmt(decision.chosen)} is expected to waste {best.wasted:.0f} calls into a down "
        f"host and refuse {best.lost:.0f} healthy ones (cost {best.cost:.1f}); today's "
        f"{_fmt(decision.current)}: {now.wasted:.0f} wasted, {now.lost:.0f} refused (cost "
        f"{now.cost:.1f}). Lower cost in {share:.0%} of {RESAMPLES} resamples over {decision.n} "
        "stretches of trouble"
    )
    proposals = []
    for knob in KNOBS:
        old, new = getattr(decision.current, knob), getattr(decision.chosen, knob)
        if old == new:
            continue
        value: float = float(new) if knob == "reset_timeout_s" else int(new)
        proposals.append(
            Proposal(
                parameter=knob,
                suggested=value,
                rule=_rule(knob, old, new),
                confidence=confidence,
                reasons=[reason],
                evidence=dict(evidence),
            )
        )
    return Outcome(proposals, None, decision)
