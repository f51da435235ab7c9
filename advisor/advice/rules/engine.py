"""Run the guards and the decision model over every host: at most one recommendation
per parameter, inside the rules' bounds (docs/design.md, "How the advisor decides").

Order: breakers disabled -> nothing; too little evidence -> a note, no change; 429s ->
a rate limit and a Retry-After cap (their own mechanism); then one decision model for
``fail_max`` / ``reset_timeout_s`` / ``success_threshold`` (``tuning``), which knows the
cap that will apply, never raises fail_max on a throttled host and leaves fleet
incidents' episodes out. A host with trouble and no change gets a reason.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from advisor.advice.rules import (
    fleet_incident,
    insufficient_evidence,
    rate_limited,
    retry_after_cap,
    rolling,
    tuning,
)
from advisor.advice.rules.base import Proposal, Value
from advisor.advice.rules.decision import KNOBS
from advisor.advice.rules.evidence import HostEvidence
from advisor.model import FleetIncident, Recommendation
from advisor.rule_settings import RuleSettings

K = TypeVar("K", bound=Hashable)  # a host, or a (host, role) breaker


@dataclass(frozen=True)
class Rule:
    """A named rule; ``names`` are the values it may put in the contract's ``rule``."""

    names: tuple[str, ...]
    doc: str


RULES: tuple[Rule, ...] = (
    Rule((insufficient_evidence.NAME,), insufficient_evidence.__doc__ or ""),
    Rule((rate_limited.NAME,), rate_limited.__doc__ or ""),
    Rule((retry_after_cap.NAME,), retry_after_cap.__doc__ or ""),
    Rule(tuning.NAMES, tuning.__doc__ or ""),
    Rule((rolling.NAME,), rolling.__doc__ or ""),
)

Propose = Callable[[HostEvidence, dict[str, Any], RuleSettings], list[Proposal]]
"""A guard rule's ``propose``: its wishes for one host, before bounds are applied."""

GUARDS: tuple[Propose, ...] = (rate_limited.propose, retry_after_cap.propose)
"""The guards with their own mechanism, run before the decision model, in this order."""

RULE_NAMES: tuple[str, ...] = tuple(name for rule in RULES for name in rule.names)
INTEGER_PARAMETERS = {"fail_max", "success_threshold", "trial_calls"}


@dataclass
class HostAdvice:
    """One host's recommendations, and why nothing changes when nothing does."""

    recommendations: list[Recommendation] = field(default_factory=list)
    unchanged: str | None = None


def _number(value: float, parameter: str) -> int | float:
    if parameter in INTEGER_PARAMETERS:
        return int(round(value))
    rounded = round(value, 1)
    return int(rounded) if rounded == int(rounded) else rounded


def clamp(parameter: str, current: Value, suggested: Value, settings: RuleSettings) -> Value:
    """Keep a numeric suggestion inside its bounds (and, when the opt-in ``max_step`` is
    above 1, within that factor of today's value)."""
    if not isinstance(suggested, int | float):
        return suggested
    value = float(suggested)
    if parameter in settings.bounds:
        low, high = settings.bounds[parameter]
        value = min(max(value, low), high)
    step = settings.max_step
    if step and step > 1 and isinstance(current, int | float) and current > 0:
        value = min(max(value, current / step), current * step)
    return _number(value, parameter)


def _apply(
    proposal: Proposal, current: dict[str, Any], settings: RuleSettings
) -> Recommendation | None:
    now = current.get(proposal.parameter)
    suggested = (
        proposal.suggested
        if proposal.note
        else clamp(proposal.parameter, now, proposal.suggested, settings)
    )
    if not proposal.note and suggested == now:
        return None
    reasons = list(proposal.reasons)
    evidence = dict(proposal.evidence)
    if (
        not proposal.note
        and suggested != proposal.suggested
        and isinstance(proposal.suggested, int | float)  # clamp moves numbers only
    ):
        evidence["unclamped"] = proposal.suggested
        reasons.append(
            f"the model's value is {_number(float(proposal.suggested), proposal.parameter)}; "
            "the rules settings' bounds or step limit hold it at this one"
        )
    return Recommendation(
        parameter=proposal.parameter,
        current=now,
        suggested=suggested,
        confidence=proposal.confidence,
        rule=proposal.rule,
        reasons=tuple(reasons),
        evidence=evidence,
    )


def _trouble(ev: HostEvidence) -> bool:
    """Visible trouble: opens, refused calls or failed probes."""
    m = ev.metrics
    return bool(m["opens"] or m["rejected"] or m["half_open_failures"])


def recommend_host(
    ev: HostEvidence,
    current: dict[str, Any],
    settings: RuleSettings,
    *,
    disabled: bool,
    incidents: list[FleetIncident] | None = None,
) -> HostAdvice:
    """Recommendations for one host, at most one per parameter."""
    if disabled:
        return HostAdvice()
    note = insufficient_evidence.propose(ev, current, settings)
    if note:
        return HostAdvice([r for r in (_apply(p, current, settings) for p in note) if r])
    chosen: dict[str, Recommendation] = {}
    throttled = rate_limited.is_rate_limited(ev, settings)
    for proposal in (p for guard in GUARDS for p in guard(ev, current, settings)):
        result = _apply(proposal, current, settings)
        if result is not None:
            chosen[proposal.parameter] = result
    cap = chosen["retry_after_cap_s"].suggested if "retry_after_cap_s" in chosen else None
    spans = fleet_incident.spans_of(ev.host, incidents or [])
    outcome = tuning.propose(
        ev,
        current,
        settings,
        cap_s=float(cap) if isinstance(cap, int | float) else None,
        rate_limited=throttled,
        fleet_spans=spans,
    )
    for proposal in outcome.proposals:
        result = _apply(proposal, current, settings)
        if result is not None:
            chosen[proposal.parameter] = result
    unchanged = None
    if not any(p in chosen for p in KNOBS) and _trouble(ev):
        unchanged = outcome.unchanged or "no breaker change: too little failure evidence"
        if spans:
            unchanged = (
                f"its trouble in {len(spans)} fleet incident(s) is left out of tuning; " + unchanged
            )
    return HostAdvice(list(chosen.values()), unchanged)


def recommend(
    evidence: dict[str, HostEvidence],
    currents: dict[str, dict[str, Any]],
    settings: RuleSettings,
    *,
    disabled: bool = False,
    only: Collection[str] | None = None,
) -> tuple[dict[str, HostAdvice], list[FleetIncident]]:
    """Per-host advice and the fleet incidents found across all hosts (``only``: advise
    just these hosts; incidents are still looked for over every host in ``evidence``)."""
    incidents = fleet_incident.detect(evidence, settings)
    chosen = evidence if only is None else {h: ev for h, ev in evidence.items() if h in only}
    return advise(chosen, currents, settings, disabled=disabled, incidents=incidents), incidents


def advise(
    evidence: dict[K, HostEvidence],
    currents: dict[K, dict[str, Any]],
    settings: RuleSettings,
    *,
    disabled: bool = False,
    incidents: list[FleetIncident] | None = None,
) -> dict[K, HostAdvice]:
    """Advice for each entry of ``evidence`` -- a host, or one breaker of a host (docs/
    design.md "Breakers") -- with the fleet ``incidents`` found over the hosts: their
    episodes are marked and left out of tuning."""
    incidents = incidents or []
    fleet_incident.mark_episodes(evidence.values(), incidents)
    return {
        key: recommend_host(ev, currents[key], settings, disabled=disabled, incidents=incidents)
        for key, ev in evidence.items()
    }
