"""The rules' thresholds as typed, frozen data: one ``RuleSettings`` per analysis.

Only the shape lives here, below every layer, so the result types (``Analysis.settings``)
can name it; ``advisor.advice.rules.settings.load_rule_settings`` reads and validates
``defaults.yaml`` plus a ``--rules`` file and builds it. Field names are the YAML keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
from types import MappingProxyType
from typing import Any

Bounds = Mapping[str, tuple[float, float]]
"""Parameter name -> (low, high) that no suggestion leaves."""


@dataclass(frozen=True)
class DecisionSettings:
    """The decision model's tolerance for "optimal" and the shares a change needs."""

    tolerance_calls: float
    tolerance_fraction: float
    min_share: float
    high_share: float
    medium_share: float


@dataclass(frozen=True)
class EvidenceSettings:
    """How much evidence a change needs, and what counts as medium / high confidence."""

    min_calls: float
    min_episodes: float
    medium_confidence: float
    high_confidence: float


@dataclass(frozen=True)
class FlappingSettings:
    """A close followed by a re-open within ``reopen_within_s`` is a flap."""

    reopen_within_s: float


@dataclass(frozen=True)
class FleetIncidentSettings:
    """When opens of many hosts close together count as one fleet incident."""

    window_s: float
    min_hosts: float
    min_active_fraction: float
    alpha: float


@dataclass(frozen=True)
class RateLimitedSettings:
    """When a host's failures are mostly 429s, and the share of its rate to suggest."""

    min_failures: float
    min_429_fraction: float
    headroom: float


@dataclass(frozen=True)
class RetryAfterCapSettings:
    """When Retry-After values above the cap call for a longer cap."""

    min_values: float
    min_over_fraction: float


@dataclass(frozen=True)
class RuleSettings:
    """Every threshold of the rules engine and the decision model (``defaults.yaml``)."""

    lost_weight: float
    bounds: Bounds
    max_step: float
    decision: DecisionSettings
    min_saving_calls: float
    min_saving_fraction: float
    evidence: EvidenceSettings
    flapping: FlappingSettings
    fleet_incident: FleetIncidentSettings
    rate_limited: RateLimitedSettings
    retry_after_cap: RetryAfterCapSettings

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleSettings:
        """Build from a validated mapping whose keys are exactly the field names."""
        return cls(
            lost_weight=data["lost_weight"],
            bounds=MappingProxyType({k: (low, high) for k, (low, high) in data["bounds"].items()}),
            max_step=data["max_step"],
            decision=DecisionSettings(**data["decision"]),
            min_saving_calls=data["min_saving_calls"],
            min_saving_fraction=data["min_saving_fraction"],
            evidence=EvidenceSettings(**data["evidence"]),
            flapping=FlappingSettings(**data["flapping"]),
            fleet_incident=FleetIncidentSettings(**data["fleet_incident"]),
            rate_limited=RateLimitedSettings(**data["rate_limited"]),
            retry_after_cap=RetryAfterCapSettings(**data["retry_after_cap"]),
        )

    def to_dict(self) -> dict[str, Any]:
        """The settings as the YAML's plain mapping (same keys, order and values)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "bounds":
                out[f.name] = {k: [low, high] for k, (low, high) in value.items()}
            elif is_dataclass(value):
                out[f.name] = {g.name: getattr(value, g.name) for g in fields(value)}
            else:
                out[f.name] = value
        return out
