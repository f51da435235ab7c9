"""``what_if``: one host's recorded traffic replayed under today's setting and a
candidate, optionally with a grid search; the library side of ``breaker-advisor replay``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from advisor.config import BreakerConfig
from advisor.errors import UsageError
from advisor.replay.evaluate import ReplayResult, replay
from advisor.replay.grid import Grid, GridResult, default_grid, grid_search
from advisor.replay.load import load_timelines
from advisor.replay.machine import Setting
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


def what_if(
    sources: Sequence[str | Path] | str | Path,
    *,
    host: str,
    fail_max: int | None = None,
    reset_timeout_s: float | None = None,
    success_threshold: int | None = None,
    window_s: float = 3600,
    until: str | float | datetime | None = "now",
    config: str | Path | BreakerConfig | None = None,
    rules: str | Path | None = None,
    lost_weight: float | None = None,
    grid: Grid | int | None = None,
) -> WhatIf:
    """Replay ``host``'s recorded calls under today's setting and a candidate.

    Args:
        sources: manifest files, directories or globs.
        host: the host (case-insensitive).
        fail_max, reset_timeout_s, success_threshold: the candidate's knobs; the
            others (and any left None) are today's.
        window_s, until, config, rules, lost_weight: as for ``advisor.analyze``.
        grid: also search ``fail_max`` x ``reset_timeout_s``: a ``Grid``, or a size for
            a square grid over the rules' bounds.

    Raises:
        UsageError: the host has no calls in the window, or a knob is not positive.
        NoSourcesError, ConfigError: as ``advisor.analyze``.
    """
    from advisor.analysis import analyze  # late: advisor.analysis uses this package

    name = host.strip().lower()
    analysis = analyze(
        sources,
        window_s=window_s,
        until=until,
        hosts=[name],
        config=config,
        rules=rules,
        lost_weight=lost_weight,
    )
    result = next((h for h in analysis.hosts if h.host == name), None)
    timeline = load_timelines(analysis.con, analysis.window, [name]).get(name)
    if result is None or timeline is None or not timeline.runs:
        raise UsageError(
            f"--host {host}: no calls in the window {analysis.window.to_dict()['start']} .. "
            f"{analysis.window.to_dict()['end']} (see --window-s / --until)"
        )
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
    w = analysis.settings["lost_weight"]
    out = WhatIf(
        host=name,
        window=analysis.window,
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
        spec = grid if isinstance(grid, Grid) else default_grid(analysis.settings, grid)
        anchor = base.with_value("success_threshold", candidate.success_threshold)
        out.search = grid_search(timeline, spec, anchor, w)
        out.best = replay(timeline, out.search.best())
    return out
