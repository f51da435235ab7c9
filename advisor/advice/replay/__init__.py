"""What-if replay: back-test breaker settings against recorded traffic.

From a host's recorded calls (outcomes, Retry-After, and which calls the breaker
refused) ``health`` reconstructs when the host was down; ``timeline`` gives every
arrival the outcome it would get; ``machine`` replays pybreaker's state machine for any
setting and ``evaluate`` counts wasted and lost calls, opens, detect and resume times;
``grid`` searches ``fail_max`` x ``reset_timeout_s``; ``crosscheck`` back-tests the rules'
recommendations (``cross_check``; the pipeline applies its verdicts) and gives the
report its trade-off data (``trade_offs``); ``whatif`` compares a host's current
setting with a candidate (``advisor.pipeline.what_if``, ``breaker-advisor replay``).
"""

from __future__ import annotations

from advisor.advice.replay.crosscheck import (
    Verdict,
    cross_check,
    replayable,
    suggested_setting,
    trade_offs,
)
from advisor.advice.replay.evaluate import ReplayResult, replay
from advisor.advice.replay.grid import Grid, GridResult, default_grid, grid_search, parse_values
from advisor.advice.replay.health import Health, from_intervals, reconstruct
from advisor.advice.replay.load import load_breaker_timelines, load_timelines
from advisor.advice.replay.machine import Setting, run_breaker
from advisor.advice.replay.timeline import Run, Timeline, build_timeline
from advisor.advice.replay.whatif import WhatIf, compare

__all__ = [
    "Grid",
    "GridResult",
    "Health",
    "ReplayResult",
    "Run",
    "Setting",
    "Timeline",
    "Verdict",
    "WhatIf",
    "build_timeline",
    "compare",
    "cross_check",
    "default_grid",
    "from_intervals",
    "grid_search",
    "load_breaker_timelines",
    "load_timelines",
    "parse_values",
    "reconstruct",
    "replay",
    "replayable",
    "run_breaker",
    "suggested_setting",
    "trade_offs",
]
