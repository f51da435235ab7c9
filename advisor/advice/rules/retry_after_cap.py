"""retry-after-cap -> ``retry_after_cap_s``: the server often asks to wait longer than
the cap lets the breaker honour; suggest the longest wait it asked for (within bounds,
in one step), since a cap below it lets probes hit a server that said it is not ready."""

from __future__ import annotations

from typing import Any

import numpy as np

from advisor.advice.rules.base import Proposal
from advisor.advice.rules.evidence import HostEvidence
from advisor.advice.rules.stats import confidence, proportion
from advisor.rule_settings import RuleSettings

NAME = "retry-after-cap"


def propose(ev: HostEvidence, current: dict[str, Any], settings: RuleSettings) -> list[Proposal]:
    cfg = settings.retry_after_cap
    cap = current.get("retry_after_cap_s")
    values = ev.retry_after_values
    if not cap or len(values) < cfg.min_values:
        return []
    over = sum(1 for v in values if v > cap)
    if over / len(values) < cfg.min_over_fraction:
        return []
    p90 = float(np.quantile(values, 0.9))
    asked = float(np.ceil(max(values)))
    return [
        Proposal(
            parameter="retry_after_cap_s",
            suggested=asked,
            rule=NAME,
            confidence=confidence(len(values), settings),
            reasons=[
                f"{proportion(over, len(values))} Retry-After values exceeded the {cap:g} s cap "
                f"(p90 {p90:.0f} s, longest {asked:.0f} s): the breaker probes before the "
                f"server is ready; a cap of {asked:.0f} s honours every wait it asked for"
            ],
            evidence={
                "retry_after_values": len(values),
                "over_cap": over,
                "p90_s": p90,
                "max_s": asked,
            },
        )
    ]
