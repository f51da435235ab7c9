"""Stable advice over nights: which changes are new, pending, confirmed or withdrawn.

A change of a parameter has a direction (``up``/``down``, or ``set:<value>`` for a
value that is not a number). It is ``confirmed`` when the same direction was
recommended on at least ``nights_to_confirm`` of the last ``confirm_window``
recorded nights (tonight included), or at once when it is *urgent* -- and only when
its expected cost, where the decision model priced it, is below today's: the host's
breaker was open more than ``urgent_open_fraction`` of the night's active span (first
to last event of the night: queries/nightly/active_open_time.sql). Otherwise it is
``new`` (not recommended the night before) or ``pending`` (recommended before, not
yet confirmed). A change recommended the night before and not tonight is
``withdrawn``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from advisor.model import HostResult, Recommendation

STATUSES = ("new", "pending", "confirmed", "withdrawn")
Key = tuple[str, str]  # (host, parameter)


@dataclass(frozen=True)
class StabilityRules:
    """How many nights make advice stable."""

    nights_to_confirm: int = 3
    confirm_window: int = 5
    urgent_open_fraction: float = 0.5


@dataclass
class Advice:
    """One recommendation of one night with its stability status."""

    host: str
    parameter: str
    current: Any
    suggested: Any
    direction: str
    confidence: str
    rule: str
    status: str
    urgent: bool
    nights_seen: int
    recommendation: dict[str, Any]


def direction(current: Any, suggested: Any) -> str:
    """``up``, ``down`` or ``set:<suggested>``."""
    numbers = (int, float)
    if isinstance(current, numbers) and isinstance(suggested, numbers):
        return "up" if suggested > current else "down"
    return f"set:{suggested}"


def cheaper(rec: Recommendation) -> bool:
    """The change's expected cost (when the decision model priced it) is below today's:
    a change that is not expected to save anything is never confirmed."""
    cost = rec.evidence.get("expected_cost")
    if not isinstance(cost, dict):
        return True
    return float(cost["suggested"]) < float(cost["current"])


def is_urgent(open_fraction: float, rules: StabilityRules) -> bool:
    """The host was down (breaker open) for most of the night's active span."""
    return open_fraction > rules.urgent_open_fraction


def classify(
    hosts: Sequence[HostResult],
    open_fractions: dict[str, float],
    previous: Sequence[dict[Key, dict[str, Any]]],
    rules: StabilityRules,
) -> list[Advice]:
    """Tonight's changes with a status, then yesterday's that were withdrawn.

    Args:
        hosts: tonight's per-host results.
        open_fractions: per host, the part of the night's active span it was open.
        previous: per earlier recorded night, newest first, ``{(host, parameter): row}``
            with at least ``direction``, ``current``, ``suggested``, ``confidence``,
            ``rule`` and ``recommendation`` (withdrawn rows left out).
        rules: the confirmation thresholds.
    """
    earlier = list(previous[: max(rules.confirm_window - 1, 0)])
    yesterday = previous[0] if previous else {}
    result: list[Advice] = []
    tonight: dict[Key, str] = {}
    for host in hosts:
        urgent = is_urgent(open_fractions.get(host.host, 0.0), rules)
        for rec in host.changes:
            key = (host.host, rec.parameter)
            way = direction(rec.current, rec.suggested)
            tonight[key] = way
            seen = 1 + sum(1 for night in earlier if night.get(key, {}).get("direction") == way)
            if cheaper(rec) and (urgent or seen >= rules.nights_to_confirm):
                status = "confirmed"
            elif yesterday.get(key, {}).get("direction") == way:
                status = "pending"
            else:
                status = "new"
            result.append(
                Advice(host.host, rec.parameter, rec.current, rec.suggested, way,
                       rec.confidence, rec.rule, status, urgent, seen, rec.to_dict())
            )  # fmt: skip
    analysed = {h.host for h in hosts}
    for key, row in sorted(yesterday.items()):
        if key[0] in analysed and tonight.get(key) != row["direction"]:
            result.append(
                Advice(key[0], key[1], row["current"], row["suggested"], row["direction"],
                       row["confidence"], row["rule"], "withdrawn", False, 0,
                       row["recommendation"])
            )  # fmt: skip
    return result
