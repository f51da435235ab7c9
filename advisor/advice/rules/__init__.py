"""The rules engine: per-host metrics and evidence + current config -> recommendations.

Each rule is a module with a ``propose(evidence, current, settings)`` function;
``engine.RULES`` lists them in priority order, ``defaults.yaml`` holds every
threshold (override with ``--rules PATH``).
"""

from __future__ import annotations

from advisor.advice.rules.engine import RULE_NAMES, RULES, recommend
from advisor.advice.rules.evidence import HostEvidence, collect_evidence
from advisor.advice.rules.settings import load_rule_settings

__all__ = [
    "RULES",
    "RULE_NAMES",
    "HostEvidence",
    "collect_evidence",
    "load_rule_settings",
    "recommend",
]
