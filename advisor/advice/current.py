"""Each breaker's current settings: what the configuration says, and, for knobs nobody
configured, what the telemetry reveals (shown with origin ``inferred``)."""

from __future__ import annotations

from typing import Any

from advisor.advice.rules.evidence import HostEvidence
from advisor.config import BreakerConfig

CONTRACT_KEYS = ("fail_max", "reset_timeout_s", "success_threshold", "retry_after_cap_s")


def current_settings(
    config: BreakerConfig, host: str, evidence: HostEvidence | None, role: str | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """``(values, origins)`` for ``host``'s breaker (``role``'s own breaker when given,
    ``config.effective(host, role)``); origins are default|yaml|env|cli|inferred."""
    values: dict[str, Any] = dict(config.effective(host, role).to_dict())
    origins = dict(config.origin(host, role))
    if evidence is not None:
        inferred = {
            "reset_timeout_s": evidence.recorded_reset_timeout_s,
            "fail_max": evidence.inferred_fail_max(),
        }
        for key, value in inferred.items():
            if value is not None and origins.get(key) == "default":
                values[key] = int(value) if float(value).is_integer() else value
                origins[key] = "inferred"
    limit = config.rate_limit(host)  # the legacy resolver_throttles block (docs/design.md)
    if limit is not None and role is None:
        values["rate_limit"], origins["rate_limit"] = limit, "yaml"
    ordered = {k: values[k] for k in CONTRACT_KEYS} | {
        k: v for k, v in values.items() if k not in CONTRACT_KEYS
    }
    return ordered, origins
