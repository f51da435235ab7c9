"""rate-limited -> ``rate_limit``: failures are mostly HTTP 429, so the fix is to send
less, not to trip sooner (this host gets no ``fail_max`` decrease)."""

from __future__ import annotations

from typing import Any

from advisor.advice.rules.base import Proposal
from advisor.advice.rules.evidence import HostEvidence
from advisor.advice.rules.stats import confidence, proportion
from advisor.rule_settings import RuleSettings

NAME = "rate-limited"


def is_rate_limited(ev: HostEvidence, settings: RuleSettings) -> bool:
    cfg = settings.rate_limited
    return ev.failures >= cfg.min_failures and (
        ev.failures_429 / ev.failures >= cfg.min_429_fraction
    )


def propose(ev: HostEvidence, current: dict[str, Any], settings: RuleSettings) -> list[Proposal]:
    if not is_rate_limited(ev, settings):
        return []
    # per *active* second: a crawl idle 16 h of 24 is not a host that accepts a third
    active = ev.active_s if ev.active_s > 0 else ev.window_s
    # calls our own breaker refused were never offered to the server: they are demand
    # it did not turn away, so only its 429s come off the rate it accepted
    accepted = max(ev.requests - ev.failures_429, 0) / active
    suggested = settings.rate_limited.headroom * accepted
    text = f"{suggested:.3g}/s"
    return [
        Proposal(
            parameter="rate_limit",
            suggested=text,
            rule=NAME,
            confidence=confidence(ev.failures_429, settings),
            reasons=[
                f"{proportion(ev.failures_429, ev.failures)} failures were HTTP 429: the host "
                f"accepted ~{accepted:.3g} calls per active second; limit the rate to {text} "
                "instead of tripping the breaker sooner"
            ],
            evidence={"failures": ev.failures, "failures_429": ev.failures_429,
                      "accepted_rate_per_s": round(accepted, 6)},
        )
    ]  # fmt: skip
