"""Back-test the rules' recommendations on the recorded traffic, and the per-host
trade-off data (Pareto front, current and suggested points) the report charts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from advisor.advice.replay.evaluate import ReplayResult, replay
from advisor.advice.replay.grid import Grid, default_grid, grid_search
from advisor.advice.replay.load import load_timelines
from advisor.advice.replay.machine import Setting
from advisor.advice.replay.timeline import Timeline
from advisor.model import Analysis, BreakerResult, HostResult, Recommendation

REPLAYED = ("fail_max", "reset_timeout_s", "success_threshold")


def replayable(rec: Recommendation, current: dict[str, Any]) -> bool:
    """A change of a knob the replay varies, from a positive value to a positive value."""
    value, now = rec.suggested, rec.current
    return (
        rec.parameter in REPLAYED
        and isinstance(value, int | float)
        and isinstance(now, int | float)
        and value != now
        and value > 0
        and bool(current.get("fail_max"))
        and bool(current.get("reset_timeout_s"))
    )


def _counts(result: ReplayResult, lost_weight: float) -> dict[str, Any]:
    return {**result.counts(lost_weight), "detect_s": result.detect_s, "resume_s": result.resume_s}


def suggested_setting(host: HostResult | BreakerResult) -> Setting | None:
    """The host's (or breaker's) current setting with its replayable recommendations
    applied (None when there is none)."""
    recs = [r for r in host.recommendations if replayable(r, host.current)]
    if not recs:
        return None
    setting = Setting.from_current(host.current)
    for rec in recs:
        setting = setting.with_value(rec.parameter, rec.suggested)
    return setting


@dataclass(frozen=True)
class Verdict:
    """The replay's word on one breaker's changes taken together: the counts each
    replayed change quotes (``evidence.replay``), and a warning when the changed setting
    costs no less than today's on the recorded traffic (the changes are then dropped)."""

    replay: dict[str, Any]
    veto: str | None = None


def cross_check(
    target: HostResult | BreakerResult, timeline: Timeline | None, lost_weight: float
) -> Verdict | None:
    """Replay ``target``'s ``fail_max`` / ``reset_timeout_s`` / ``success_threshold``
    changes together over its recorded ``timeline`` (health reconstructed from it), next
    to today's setting: the cross-check of the decision model, which disagrees in sign
    when the replayed cost (``wasted + w * lost``) is not below today's. None when there
    is nothing to replay. Changes nothing."""
    suggested = suggested_setting(target)
    if timeline is None or not timeline.runs or suggested is None:
        return None
    w = lost_weight
    today = replay(timeline, Setting.from_current(target.current))
    after = replay(timeline, suggested)
    counts = {
        "current": _counts(today, w),
        "suggested": _counts(after, w),
        "inferred_share": round(timeline.health.inferred_share, 4),
    }
    if after.cost(w) < today.cost(w):
        return Verdict(counts)
    text = ", ".join(
        f"{r.parameter} {r.current} -> {r.suggested}"
        for r in target.recommendations
        if replayable(r, target.current)
    )
    return Verdict(
        counts,
        f"replay vetoed {text}: on the recorded traffic it would cost "
        f"{after.cost(w):.1f} instead of {today.cost(w):.1f} (wasted "
        f"{today.wasted} -> {after.wasted}, lost {today.lost} -> {after.lost}; "
        f"{timeline.health.inferred_share:.0%} of the window's health inferred)",
    )


def trade_offs(
    analysis: Analysis, hosts: Sequence[str] | None = None, grid: Grid | None = None
) -> dict[str, dict[str, Any]]:
    """Per host, the replayed trade-off between wasted and lost calls, for a chart.

    Args:
        analysis: the analysis (its window, settings and hosts' current values).
        hosts: only these hosts; all analysed hosts when None.
        grid: the ``fail_max`` x ``reset_timeout_s`` values; 11 x 11 over the rules'
            bounds when None.

    Returns:
        ``{host: {"lost_weight", "inferred_share", "front": [point...], "best": point,
        "current": point, "suggested": point | None}}``; a point is a dict of
        ``fail_max, reset_timeout_s, success_threshold, wasted, lost, cost, opens``
        (``front`` by ascending wasted). Hosts without calls are left out.
    """
    grid = grid or default_grid(analysis.settings)
    w = analysis.settings.lost_weight
    chosen = [h for h in analysis.hosts if hosts is None or h.host in set(hosts)]
    timelines = load_timelines(analysis.con, analysis.window, [h.host for h in chosen])
    result: dict[str, dict[str, Any]] = {}
    for host in chosen:
        timeline = timelines.get(host.host)
        if timeline is None or not timeline.runs:
            continue
        base = Setting.from_current(host.current)
        search = grid_search(timeline, grid, base, w)
        suggested = suggested_setting(host)
        result[host.host] = {
            "lost_weight": w,
            "inferred_share": round(timeline.health.inferred_share, 4),
            "front": search.front(),
            "best": search.point(*search.best_cell()),
            "current": replay(timeline, base, timings=False).point(w),
            "suggested": (
                replay(timeline, suggested, timings=False).point(w) if suggested else None
            ),
        }
    return result
