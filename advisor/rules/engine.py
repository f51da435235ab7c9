"""Run the rules over every host, resolve conflicts, clamp, and keep only changes
that save more than noise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from advisor.rules import (
    fail_max,
    flapping,
    fleet_incident,
    insufficient_evidence,
    rate_limited,
    recovery_time,
    retry_after_cap,
)
from advisor.rules.base import Proposal, Value
from advisor.rules.evidence import HostEvidence


@dataclass(frozen=True)
class Rule:
    """A named rule; ``names`` are the values it may put in the contract's ``rule``."""

    names: tuple[str, ...]
    propose: Any  # (HostEvidence, current, settings) -> list[Proposal]


# Order is priority: on one parameter the earlier rule wins (the loser is kept in evidence).
RULES: tuple[Rule, ...] = (
    Rule((fleet_incident.NAME,), fleet_incident.propose),
    Rule((insufficient_evidence.NAME,), insufficient_evidence.propose),
    Rule((rate_limited.NAME,), rate_limited.propose),
    Rule((retry_after_cap.NAME,), retry_after_cap.propose),
    Rule((recovery_time.NAME,), recovery_time.propose),
    Rule((fail_max.LOWER, fail_max.RAISE), fail_max.propose),
    Rule((flapping.NAME,), flapping.propose),
)
RULE_NAMES: tuple[str, ...] = tuple(name for rule in RULES for name in rule.names)
INTEGER_PARAMETERS = {"fail_max", "success_threshold", "trial_calls"}


def _number(value: float, parameter: str) -> int | float:
    if parameter in INTEGER_PARAMETERS:
        return int(round(value))
    rounded = round(value, 1)
    return int(rounded) if rounded == int(rounded) else rounded


def clamp(parameter: str, current: Value, suggested: Value, settings: dict[str, Any]) -> Value:
    """Keep a numeric suggestion inside its bounds and within ``max_step`` of today."""
    if not isinstance(suggested, int | float):
        return suggested
    value = float(suggested)
    if parameter in settings["bounds"]:
        low, high = settings["bounds"][parameter]
        value = min(max(value, low), high)
    if isinstance(current, int | float) and current > 0:
        step = settings["max_step"]
        value = min(max(value, current / step), current * step)
    return _number(value, parameter)


def _apply(
    proposal: Proposal, current: dict[str, Any], settings: dict[str, Any]
) -> dict[str, Any] | None:
    now = current.get(proposal.parameter)
    suggested = (
        proposal.suggested
        if proposal.note
        else clamp(proposal.parameter, now, proposal.suggested, settings)
    )
    evidence = dict(proposal.evidence)
    if not proposal.note:
        if suggested == now:
            return None
        if proposal.cost is not None and isinstance(now, int | float):
            before, after = proposal.cost(float(now)), proposal.cost(float(suggested))
            noise = max(settings["min_saving_calls"], settings["min_saving_fraction"] * before)
            if before - after < noise:
                return None
            evidence["expected_cost"] = {"current": round(before, 3), "suggested": round(after, 3)}
            if proposal.cost_samples is not None:
                delta = proposal.cost_samples(float(suggested)) - proposal.cost_samples(float(now))
                regret = float(np.clip(delta, 0, None).mean())
                gain = float(np.clip(-delta, 0, None).mean())
                if regret > settings["max_regret_fraction"] * gain:
                    return None
                evidence["regret_vs_gain"] = [round(regret, 3), round(gain, 3)]
    reasons = list(proposal.reasons)
    if not proposal.note and suggested != proposal.suggested:
        evidence["unclamped"] = proposal.suggested
        target = _number(float(proposal.suggested), proposal.parameter)
        reasons.append(
            f"the best value is {target}; this run moves {proposal.parameter} one step toward "
            "it (bounds and the per-run step limit of the rules settings)"
        )
    return {
        "parameter": proposal.parameter,
        "current": now,
        "suggested": suggested,
        "confidence": proposal.confidence,
        "rule": proposal.rule,
        "reasons": reasons,
        "evidence": evidence,
    }


def recommend_host(
    ev: HostEvidence, current: dict[str, Any], settings: dict[str, Any], *, disabled: bool
) -> list[dict[str, Any]]:
    """Recommendations for one host, at most one per parameter, in rule priority order."""
    if disabled:
        return []
    chosen: dict[str, dict[str, Any]] = {}
    for rule in RULES:
        if any(r["rule"] == insufficient_evidence.NAME for r in chosen.values()):
            break
        for proposal in rule.propose(ev, current, settings):
            if proposal.rule == fail_max.LOWER and rate_limited.is_rate_limited(ev, settings):
                continue
            result = _apply(proposal, current, settings)
            if result is None:
                continue
            if proposal.parameter in chosen:
                winner = chosen[proposal.parameter]
                winner["evidence"].setdefault("overruled", []).append(
                    {"rule": result["rule"], "suggested": result["suggested"],
                     "reasons": result["reasons"]}
                )  # fmt: skip
            else:
                chosen[proposal.parameter] = result
    return list(chosen.values())


def recommend(
    evidence: dict[str, HostEvidence],
    currents: dict[str, dict[str, Any]],
    settings: dict[str, Any],
    *,
    disabled: bool = False,
) -> tuple[dict[str, list[dict[str, Any]]], list[fleet_incident.Incident]]:
    """Per-host recommendations and the fleet incidents found across hosts."""
    incidents = fleet_incident.detect(evidence, settings)
    result = {
        host: recommend_host(ev, currents[host], settings, disabled=disabled)
        for host, ev in evidence.items()
    }
    return result, incidents
