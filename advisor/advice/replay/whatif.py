"""One host's recorded traffic replayed under today's setting and a candidate,
optionally with a grid search: the engine of ``breaker-advisor replay``
(``advisor.pipeline.what_if`` finds the host and its timeline)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from advisor.advice.replay.evaluate import ReplayResult, replay
from advisor.advice.replay.grid import Grid, GridResult, default_grid, grid_search
from advisor.advice.replay.machine import Setting
from advisor.advice.replay.timeline import Timeline
from advisor.errors import UsageError
from advisor.model import HostResult
from advisor.rule_settings import RuleSettings
from advisor.window import Window


@dataclass
class WhatIf:
    """Recorded, replayed-current and replayed-candidate counts of one host, and the
    grid search when asked for."""

    host: str
    window: Window
    lost_weight: float
    arrivals: int
    refused: int
    inferred_share: float
    recorded: dict[str, Any]
    current: ReplayResult
    candidate: ReplayResult
    search: GridResult | None = None
    best: ReplayResult | None = None

    def to_dict(self) -> dict[str, Any]:
        w = self.lost_weight
        out: dict[str, Any] = {
            "host": self.host,
            "window": self.window.to_dict(),
            "lost_weight": w,
            "arrivals": self.arrivals,
            "refused": self.refused,
            "inferred_share": round(self.inferred_share, 4),
            "recorded": self.recorded,
            "current": self.current.to_dict(w),
            "candidate": self.candidate.to_dict(w),
        }
        if self.search is not None and self.best is not None:
            out["grid"] = {
                "fail_max": list(self.search.grid.fail_max),
                "reset_timeout_s": list(self.search.grid.reset_timeout_s),
                "best": self.best.to_dict(w),
                "front": self.search.front(),
            }
        return out


def compare(
    timeline: Timeline,
    result: HostResult,
    window: Window,
    settings: RuleSettings,
    *,
    fail_max: int | None = None,
    reset_timeout_s: float | None = None,
    success_threshold: int | None = None,
    grid: Grid | int | None = None,
) -> WhatIf:
    """``result``'s host replayed over its recorded ``timeline`` under today's setting and
    a candidate (the knobs given; the others today's), and the grid search when asked.

    Raises:
        UsageError: a knob is not positive.
    """
    base = Setting.from_current(result.current)
    candidate = base
    for parameter, value in (
        ("fail_max", fail_max),
        ("reset_timeout_s", reset_timeout_s),
        ("success_threshold", success_threshold),
    ):
        if value is not None:
            if not value > 0:
                raise UsageError(f"--{parameter.replace('_', '-')}: must be positive, got {value}")
            candidate = candidate.with_value(parameter, value)
    w = settings.lost_weight
    out = WhatIf(
        host=result.host,
        window=window,
        lost_weight=w,
        arrivals=timeline.arrivals,
        refused=timeline.refused,
        inferred_share=timeline.health.inferred_share,
        recorded={
            "wasted": timeline.recorded_wasted,
            "lost": timeline.recorded_lost,
            "cost": round(timeline.recorded_wasted + w * timeline.recorded_lost, 3),
            "opens": result.metrics["opens"],
        },
        current=replay(timeline, base),
        candidate=replay(timeline, candidate),
    )
    if grid is not None:
        spec = grid if isinstance(grid, Grid) else default_grid(settings, grid)
        anchor = base.with_value("success_threshold", candidate.success_threshold)
        out.search = grid_search(timeline, spec, anchor, w)
        out.best = replay(timeline, out.search.best())
    return out
