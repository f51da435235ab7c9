"""Small statistics the rules quote: Wilson intervals and evidence-based confidence."""

from __future__ import annotations

import math

from advisor.rule_settings import RuleSettings


def wilson(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion (0, 1 when there are no trials)."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def proportion(successes: int, trials: int) -> str:
    """``7 of 9 (78 %, 95 % CI 45-94 %)``."""
    low, high = wilson(successes, trials)
    share = successes / trials if trials else 0.0
    return f"{successes} of {trials} ({share:.0%}, 95 % CI {low * 100:.0f}-{high * 100:.0f} %)"


def confidence(count: int, settings: RuleSettings) -> str:
    """``high`` / ``medium`` / ``low`` from how many independent observations back a rule."""
    evidence = settings.evidence
    if count >= evidence.high_confidence:
        return "high"
    if count >= evidence.medium_confidence:
        return "medium"
    return "low"
