"""What-if replay on the simulator's telemetry, where the truth is known.

One simulated hour of the crawl-night fleet (real pybreaker breakers, cooldowns and
listener on a virtual clock). Replaying each host's recorded setting must reproduce the
recording exactly; the grid searched over the reconstructed health must land within one
grid step of the optimum found by replaying the same grid over the true health
(truth.json) for most hosts. The hit rate is printed (``pytest -s``) and asserted."""

from __future__ import annotations

import json

import numpy as np
import pytest

from advisor import analyze
from advisor.advice.replay import (
    Setting,
    default_grid,
    grid_search,
    load_timelines,
    replay,
)
from advisor.advice.replay.timeline import REFUSED
from advisor.pipeline import attach_replay
from advisor.simulate import simulate
from tests.helpers.truth import truth_health

END = "2026-11-28T04:00:00Z"
MIN_HIT_RATE = 0.75


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    out = tmp_path_factory.mktemp("night")
    result = simulate("crawl-night", out, hours=1.25, seed=7, end=END)
    truth = json.loads(result.truth.read_text())
    return out, truth


def analysis_of(night):
    out, _ = night
    return analyze(out, window_s=3600, until=END, config=out / "breakers.yaml")


@pytest.fixture(scope="module")
def analysis(night):
    """Shared by the tests that only read it."""
    return analysis_of(night)


def test_replaying_the_recorded_settings_reproduces_the_runtime(analysis):
    timelines = load_timelines(analysis.con, analysis.window)
    assert len(timelines) == len(analysis.hosts) == 12
    assert sum(t.refused for t in timelines.values()) > 10_000
    for host in analysis.hosts:
        timeline = timelines[host.host]
        result = replay(timeline, Setting.from_current(host.current))
        refused = sum(run.failures for run in timeline.runs) - result.wasted + result.lost
        # wasted: calls the runtime sent while the (reconstructed) host was down
        sent = (timeline.codes != REFUSED) & (timeline.times >= 0)
        wasted = int((sent & timeline.health.down_at(timeline.times)).sum())
        assert (result.opens, refused, result.wasted) == (
            host.metrics["opens"], timeline.refused, wasted
        ), host.host  # fmt: skip


def test_grid_on_reconstructed_health_lands_near_the_true_optimum(night, analysis):
    _, truth = night
    timelines = load_timelines(analysis.con, analysis.window)
    grid = default_grid(analysis.settings)
    w = analysis.settings.lost_weight
    hits, lines = 0, []
    for host in analysis.hosts:
        timeline = timelines[host.host]
        base = Setting.from_current(host.current)
        chosen = grid_search(timeline, grid, base, w).best_cell()
        real = timeline.with_health(truth_health(truth, timeline))
        cost = grid_search(real, grid, base, w).cost
        optima = np.argwhere(np.isclose(cost, cost.min()))
        step = int(np.abs(optima - np.array(chosen)).max(axis=1).min())
        hits += step <= 1
        lines.append(
            f"{host.host}: chosen fail_max {grid.fail_max[chosen[0]]}, reset "
            f"{grid.reset_timeout_s[chosen[1]]} s; {step} step(s) from the true optimum; "
            f"true cost {cost[chosen]:.1f} vs {cost.min():.1f}"
        )
    rate = hits / len(analysis.hosts)
    print(f"\nreplay grid hit rate {hits}/{len(analysis.hosts)} = {rate:.0%}")
    print("\n".join(lines))
    assert rate >= MIN_HIT_RATE, "\n".join(lines)


def test_recommendations_carry_replay_evidence_and_vetoes_are_explained(night):
    analysis = analysis_of(night)
    before = {(h.host, r.parameter) for h in analysis.hosts for r in h.recommendations}
    vetoed = attach_replay(analysis)
    replayed = [
        r.to_dict()
        for h in analysis.hosts
        for r in h.changes
        if r.parameter in ("fail_max", "reset_timeout_s", "success_threshold")
    ]
    assert replayed, "the crawl-night hour should move some fail_max / reset_timeout_s"
    for r in replayed:
        ev = r["evidence"]["replay"]
        assert ev["suggested"]["cost"] - ev["current"]["cost"] <= max(
            analysis.settings.min_saving_calls,
            analysis.settings.min_saving_fraction * ev["current"]["cost"],
        )
    after = {(h.host, r.parameter) for h in analysis.hosts for r in h.recommendations}
    assert before - after == {(v["host"], v["parameter"]) for v in vetoed}
    for v in vetoed:
        host = next(h for h in analysis.hosts if h.host == v["host"])
        assert any(f"replay vetoed {v['parameter']}" in w for w in host.warnings)
    json.loads(analysis.to_json())
