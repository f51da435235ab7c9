"""insufficient-evidence: too few calls and episodes to change anything; say what is
missing instead."""

from __future__ import annotations

from typing import Any

from advisor.rules.base import Proposal
from advisor.rules.evidence import HostEvidence

NAME = "insufficient-evidence"


def propose(ev: HostEvidence, current: dict[str, Any], settings: dict[str, Any]) -> list[Proposal]:
    need = settings["evidence"]
    calls, episodes = ev.metrics["calls"], len(ev.tuning_episodes())
    if calls >= need["min_calls"] or episodes >= need["min_episodes"]:
        return []
    return [
        Proposal(
            parameter="reset_timeout_s",
            suggested=current.get("reset_timeout_s"),
            rule=NAME,
            confidence="low",
            reasons=[
                f"only {calls} calls and {episodes} outage episodes in the window; "
                f"advice needs at least {need['min_calls']} calls or {need['min_episodes']} "
                "episodes (use a longer --window-s)"
            ],
            evidence={"calls": calls, "episodes": episodes},
            note=True,
        )
    ]
