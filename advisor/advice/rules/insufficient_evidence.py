"""insufficient-evidence: too few calls to change anything (docs/design.md: under
``min_calls`` calls no breaker change; under ``min_episodes`` episodes the decision
model's changes stay at low confidence); say what is missing instead."""

from __future__ import annotations

from typing import Any

from advisor.advice.rules.base import Proposal
from advisor.advice.rules.evidence import HostEvidence
from advisor.rule_settings import RuleSettings

NAME = "insufficient-evidence"


def propose(ev: HostEvidence, current: dict[str, Any], settings: RuleSettings) -> list[Proposal]:
    need = settings.evidence
    calls, episodes = ev.metrics["calls"], len(ev.tuning_episodes())
    if calls >= need.min_calls:
        return []
    return [
        Proposal(
            parameter="reset_timeout_s",
            suggested=current.get("reset_timeout_s"),
            rule=NAME,
            confidence="low",
            reasons=[
                f"only {calls} calls and {episodes} outage episodes in the window; a "
                f"breaker change needs at least {need.min_calls} calls (use a longer "
                "--window-s)"
            ],
            evidence={"calls": calls, "episodes": episodes},
            note=True,
        )
    ]
