"""Back-test the rules' recommendations on the recorded traffic, and the per-host
trade-off data (Pareto front, current and suggested points) the report charts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from advisor.advice.replay.evaluate import ReplayResult, replay
from advisor.advice.replay.grid import Grid, default_grid, grid_search
from advisor.advice.replay.load import load_breaker_timelines, load_timelines
from advisor.advice.replay.machine import Setting
from advisor.advice.replay.timeline import Timeline
from advisor.model import Analysis, BreakerResult, HostResult

REPLAYED = ("fail_max", "reset_timeout_s", "success_threshold")


def _replayable(rec: dict[str, Any], current: dict[str, Any]) -> bool:
    value, now = rec.get("suggested"), rec.get("current")
    return (
        rec.get("parameter") in REPLAYED
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
    recs = [r for r in host.recommendations if _replayable(r, host.current)]
    if not recs:
        return None
    setting = Setting.from_current(host.current)
    for rec in recs:
        setting = setting.with_value(rec["parameter"], rec["suggested"])
    return setting


def attach_replay(
    analysis: Analysis,
    timelines: dict[str, Timeline] | None = None,
    breaker_timelines: dict[tuple[str, str | None], Timeline] | None = None,
) -> list[dict[str, Any]]:
    """Replay each host's ``fail_max`` / ``reset_timeout_s`` / ``success_threshold``
    recommendations together over its recorded traffic (health reconstructed from it),
    next to today's setting: the cross-check of the decision model. A host that lists
    its breakers (``HostResult.breakers``) is checked breaker by breaker, each over its
    own arrivals with its own settings.

    Each such recommendation gains ``evidence.replay`` (``current`` and ``suggested``:
    wasted, lost, cost, opens, detect_s, resume_s; ``inferred_share`` of the window). When
    the replayed cost (``wasted + w * lost``) of the changed setting is not below
    today's, the replay disagrees in sign with the model: the changes are dropped and the
    host's (and breaker's) warnings say why.

    Args:
        analysis: the analysis whose hosts' recommendations are checked (edited in place).
        timelines: recorded timelines by host, when already loaded.
        breaker_timelines: recorded timelines by (host, role), when already loaded.

    Returns:
        The vetoed recommendations, each with its ``host`` (and ``breaker`` when the host
        lists its breakers).
    """
    w = analysis.settings.lost_weight
    targets: list[tuple[HostResult | BreakerResult, HostResult | None]] = []
    for host in analysis.hosts:
        targets += [(b, host) for b in host.breakers] if host.breakers else [(host, None)]
    wanted = [
        (t, owner)
        for t, owner in targets
        if any(_replayable(r, t.current) for r in t.recommendations)
    ]
    if not wanted:
        return []
    timelines = dict(timelines or {})
    breaker_timelines = dict(breaker_timelines or {})
    missing = [t.host for t, owner in wanted if owner is None and t.host not in timelines]
    if missing:
        timelines.update(load_timelines(analysis.con, analysis.window, missing))
    missing_breakers = [
        (t.host, t.role)
        for t, _ in wanted
        if isinstance(t, BreakerResult) and (t.host, t.role) not in breaker_timelines
    ]
    if missing_breakers:
        breaker_timelines.update(
            load_breaker_timelines(analysis.con, analysis.window, missing_breakers)
        )
    vetoed: list[dict[str, Any]] = []
    for target, owner in wanted:
        timeline = (
            breaker_timelines.get((target.host, target.role))
            if isinstance(target, BreakerResult)
            else timelines.get(target.host)
        )
        suggested = suggested_setting(target)
        if timeline is None or not timeline.runs or suggested is None:
            continue
        base = Setting.from_current(target.current)
        today = replay(timeline, base)
        after = replay(timeline, suggested)
        changes = [r for r in target.recommendations if _replayable(r, target.current)]
        for rec in changes:
            rec["evidence"]["replay"] = {
                "current": _counts(today, w),
                "suggested": _counts(after, w),
                "inferred_share": round(timeline.health.inferred_share, 4),
            }
        if after.cost(w) >= today.cost(w):  # no saving: the cross-check disagrees in sign
            text = ", ".join(
                f"{r['parameter']} {r['current']} -> {r['suggested']}" for r in changes
            )
            warning = (
                f"replay vetoed {text}: on the recorded traffic it would cost "
                f"{after.cost(w):.1f} instead of {today.cost(w):.1f} (wasted "
                f"{today.wasted} -> {after.wasted}, lost {today.lost} -> {after.lost}; "
                f"{timeline.health.inferred_share:.0%} of the window's health inferred)"
            )
            target.warnings.append(warning)
            extra: dict[str, Any] = {}
            if owner is not None and isinstance(target, BreakerResult):
                # the host's row says it too, naming a role's breaker
                owner.warnings.append(
                    warning if target.role is None else f"breaker {target.name}: {warning}"
                )
                extra["breaker"] = target.name
            vetoed.extend({"host": target.host, **extra, **r} for r in changes)
            # in place: a host's row shares its own breaker's list of recommendations
            target.recommendations[:] = [r for r in target.recommendations if r not in changes]
    return vetoed


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
