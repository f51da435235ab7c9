"""flapping -> ``success_threshold``: the breaker re-opens soon after it closed, so
one successful trial is not enough proof of recovery."""

from __future__ import annotations

from typing import Any

from advisor.rules.base import Proposal
from advisor.rules.evidence import HostEvidence
from advisor.rules.stats import confidence, proportion

NAME = "flapping"


def propose(ev: HostEvidence, current: dict[str, Any], settings: dict[str, Any]) -> list[Proposal]:
    cfg = settings["flapping"]
    now = current.get("success_threshold") or 1
    if ev.closes < cfg["min_closes"] or ev.flaps / ev.closes < cfg["min_flap_fraction"]:
        return []
    return [
        Proposal(
            parameter="success_threshold",
            suggested=int(now) + 1,
            rule=NAME,
            confidence=confidence(ev.closes, settings),
            reasons=[
                f"{proportion(ev.flaps, ev.closes)} closes re-opened within "
                f"{cfg['reopen_within_s']:g} s: require {int(now) + 1} successful trials "
                "before closing"
            ],
            evidence={"closes": ev.closes, "reopened_soon": ev.flaps},
        )
    ]
