"""What a rule returns: a proposal for one parameter, before bounds are applied."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Value = int | float | str | None


@dataclass
class Proposal:
    """A rule's wish for one parameter, with the reasons a person reads.

    ``note`` marks an informational entry that changes nothing.
    """

    parameter: str
    suggested: Value
    rule: str
    confidence: str
    reasons: list[str]
    evidence: dict[str, Any] = field(default_factory=dict)
    note: bool = False
