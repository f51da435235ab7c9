"""What a rule returns: a proposal for one parameter, before bounds and step limits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Value = int | float | str | None


@dataclass
class Proposal:
    """A rule's wish for one parameter, with the reasons a person reads.

    ``cost`` gives the expected cost (wasted + w * lost calls in the window) of any
    value, so the engine can check that the clamped suggestion still saves more than
    noise; ``cost_samples`` the cost under each outcome the evidence allows (e.g. each
    possible recovery time of each episode), so a change whose expected regret (where
    it is worse) is more than a small share of its expected gain is not made.
    ``note`` marks an informational entry that changes nothing.
    """

    parameter: str
    suggested: Value
    rule: str
    confidence: str
    reasons: list[str]
    evidence: dict[str, Any] = field(default_factory=dict)
    cost: Callable[[float], float] | None = None
    cost_samples: Callable[[float], np.ndarray] | None = None
    note: bool = False
