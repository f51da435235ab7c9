"""What-if replay: health reconstruction, counting, grid search and the back-test of
recommendations, on hand-worked timelines and on telemetry of an independent breaker
simulation (tests/breaker_sim.py) whose true costs are known for any setting."""

from __future__ import annotations

import numpy as np
import pytest

from advisor import analyze
from advisor.advice.replay import (
    Grid,
    Setting,
    build_timeline,
    default_grid,
    from_intervals,
    grid_search,
    load_timelines,
    parse_values,
    reconstruct,
    replay,
    trade_offs,
)
from advisor.advice.replay.health import US
from advisor.advice.replay.timeline import FAIL, OK, REFUSED
from advisor.advice.rules import load_rule_settings
from advisor.config import load_config
from advisor.errors import UsageError
from advisor.model import Recommendation
from advisor.pipeline import attach_replay
from tests.helpers.manifests import T0
from tests.helpers.replay_data import HOST, OUTAGES, WINDOW, run, write

S = US  # one second in the replay's microseconds


def seconds(*values: float) -> np.ndarray:
    return (np.asarray(values, float) * S).astype(np.int64)


# --- health reconstruction --------------------------------------------------------------


def test_a_hidden_recovery_lands_at_the_geometric_mean_of_the_outage_age():
    """S@0 S@1 F@2 F@3, refused 4..63, S@64: down from 1.5 s (half-way between the last
    success and the first failure); back at 1.5 + sqrt(1.5 * 62.5) s (age 1.5 s at the
    last failure, 62.5 s at the next success); 61 s of 100 hidden."""
    health = reconstruct(
        seconds(0, 1, 2, 3, 64, 65),
        np.array([0, 0, 1, 1, 0, 0], bool),
        np.zeros(6, np.int64),
        seconds(*range(4, 64)),
        100 * S,
    )
    assert health.starts.tolist() == [1_500_000]
    assert health.ends.tolist() == [1_500_000 + 9_682_458]
    assert health.inferred_share == pytest.approx(0.61)


def test_retry_after_sets_the_recovery_when_the_next_success_allows_it():
    retry_after = np.array([0, 0, 0, 20 * S, 0, 0], np.int64)
    down = np.array([0, 0, 1, 1, 0, 0], bool)
    health = reconstruct(
        seconds(0, 1, 2, 3, 64, 65), down, retry_after, seconds(*range(4, 64)), 100 * S
    )
    assert health.ends.tolist() == [23 * S]
    assert health.retry_after_left(seconds(10, 30)).tolist() == [13 * S, 0]
    early = reconstruct(
        seconds(0, 1, 2, 3, 10, 11), down, retry_after, seconds(*range(4, 10)), 100 * S
    )
    assert early.ends.tolist() == [10 * S]  # the success at 10 s beats a promise of 23 s


def test_a_noise_streak_goes_on_only_as_far_as_visible_streaks_do():
    """Thirty visible single failures (each followed by a success) and one F F streak that
    opened the breaker: streaks one short of the opening length almost never continue
    (q = 1.5 / 32), so the hidden stretch after it is up from the first refused call."""
    times, down = [], []
    for k in range(30):
        times += [10 * k, 10 * k + 1, 10 * k + 2]
        down += [0, 1, 0]
    times += [400, 401, 402, 460]
    down += [0, 1, 1, 0]
    hidden = seconds(*range(403, 460))
    health = reconstruct(
        seconds(*times), np.array(down, bool), np.zeros(len(times), np.int64), hidden, 500 * S
    )
    last = health.ends[-1]
    assert health.starts[-1] == int(400.5 * S)
    assert last == int(402.5 * S)  # half-way between the last failure and the first refusal
    assert not health.down_at(hidden).any()


def test_window_edges_take_the_nearest_observation_and_no_observation_is_down():
    health = reconstruct(seconds(5, 6), np.array([1, 0], bool), np.zeros(2, np.int64), [], 10 * S)
    assert health.starts.tolist() == [0]
    blind = reconstruct([], [], [], seconds(1, 2), 10 * S)
    assert (blind.starts.tolist(), blind.ends.tolist(), blind.inferred_share) == ([0], [10 * S], 1)


def test_known_intervals_merge():
    health = from_intervals([(5, 10), (0, 6), (20, 30)], 100, [0, 7, 0])
    assert health.starts.tolist() == [0, 20]
    assert health.ends.tolist() == [10, 30]
    assert health.ra_until.tolist() == [7, 0]


# --- counting ----------------------------------------------------------------------------


def every_second(down: list[tuple[int, int]], n: int = 100, codes=None):
    """Arrivals at 0, 1, ..., n-1 s, all seen, failing inside ``down``."""
    times = seconds(*range(n))
    health = from_intervals([(a * S, b * S) for a, b in down], n * S)
    if codes is None:
        codes = np.where(health.down_at(times), FAIL, OK)
    return build_timeline("h.example", 0, n * S, np.zeros(n), times, codes, np.zeros(n), health)


def test_replay_counts_wasted_lost_opens_detect_and_resume():
    """Down [10, 40) s, one call a second, fail_max 3, reset 10 s: opens at 12, trials
    fail at 22 and 32, the one at 42 closes; refused 13-21, 23-31, 33-41 (the last two
    while up). Wasted 10, 11, 12, 22, 32; lost 40, 41."""
    timeline = every_second([(10, 40)])
    result = replay(timeline, Setting(3, 10.0))
    assert (result.wasted, result.lost, result.opens) == (5, 2, 3)
    assert (result.outages, result.detect_s, result.resume_s) == (1, 2.0, 2.0)
    two = replay(timeline, Setting(3, 10.0, success_threshold=2))
    assert (two.wasted, two.lost, two.opens, two.resume_s) == (5, 2, 3, 3.0)
    never = replay(timeline, Setting(31, 10.0))
    assert (never.wasted, never.lost, never.opens, never.detect_s) == (30, 0, 0, None)


def test_refused_calls_take_their_outcome_from_health():
    """The same host recorded behind a breaker: refused calls inside the outage fail in
    the replay, those after it succeed, whatever setting replays them."""
    seen = every_second([(10, 40)])
    codes = seen.codes.copy()
    codes[13:22] = REFUSED
    hidden = build_timeline(
        "h.example", 0, 100 * S, np.zeros(100), seen.times, codes, np.zeros(100), seen.health
    )
    assert hidden.recorded_wasted == 21 and hidden.recorded_lost == 0
    assert replay(hidden, Setting(3, 10.0)) == replay(seen, Setting(3, 10.0))


def test_each_run_has_its_own_breaker():
    """Two runs sharing a host's health: the counts add up, each breaker on its own calls."""
    seen = every_second([(10, 40)])
    runs = np.arange(100) % 2
    split = build_timeline(
        "h.example", 0, 100 * S, runs, seen.times, seen.codes, np.zeros(100), seen.health
    )
    assert len(split.runs) == 2
    total = replay(split, Setting(3, 10.0), timings=False)
    parts = [
        replay(
            build_timeline("h", 0, 100 * S, np.zeros(50), seen.times[r::2], seen.codes[r::2],
                           np.zeros(50), seen.health),
            Setting(3, 10.0), timings=False,
        )
        for r in (0, 1)
    ]  # fmt: skip
    assert (total.wasted, total.lost, total.opens) == tuple(
        sum(getattr(p, k) for p in parts) for k in ("wasted", "lost", "opens")
    )
    assert total.opens == 6  # per run: opens at 14 (15), trials fail at 24 (25), 34 (35)


# --- grid ----------------------------------------------------------------------------------


def test_default_grid_is_11_by_11_within_the_rules_bounds():
    grid = default_grid(load_rule_settings())
    assert grid.fail_max == (2, 3, 4, 5, 6, 7, 9, 11, 13, 16, 20)
    assert grid.reset_timeout_s == (5, 9.7, 19, 36, 69, 130, 260, 500, 970, 1900, 3600)


def test_parse_values_and_bad_grids():
    assert parse_values("5, 2,3,2", integer=True, name="--x") == (2, 3, 5)
    assert parse_values("7.5,30", integer=False, name="--x") == (7.5, 30)
    with pytest.raises(UsageError, match="--x: expected positive integers, got '2.5'"):
        parse_values("2.5", integer=True, name="--x")
    with pytest.raises(UsageError, match="expected comma-separated numbers"):
        parse_values("a", integer=False, name="--x")
    with pytest.raises(UsageError, match="reset_timeout_s values must be > 0"):
        Grid((2,), (0,))


def test_grid_best_is_the_cheapest_and_the_front_is_undominated():
    timeline = every_second([(10, 40), (60, 62)])
    grid = Grid((1, 2, 3, 5, 8), (1, 2, 5, 10, 30))
    result = grid_search(timeline, grid, Setting(3, 10.0), 0.5)
    i, j = result.best_cell()
    assert result.cost[i, j] == result.cost.min()
    assert result.point(i, j)["cost"] == result.cost.min()
    direct = replay(timeline, grid.setting(i, j, Setting(3, 10.0)))
    assert (direct.wasted, direct.lost) == (result.wasted[i, j], result.lost[i, j])
    front = result.front()
    assert [p["wasted"] for p in front] == sorted(p["wasted"] for p in front)
    for p in front:
        no_worse = (result.wasted <= p["wasted"]) & (result.lost <= p["lost"])
        better = (result.wasted < p["wasted"]) | (result.lost < p["lost"])
        assert not (no_worse & better).any(), p
    assert result.point(i, j) in front


def test_ties_go_to_the_setting_closest_to_today():
    flat = every_second([])  # never down: every setting costs nothing
    result = grid_search(flat, Grid((2, 5, 9), (10, 60, 600)), Setting(4, 50.0), 0.5)
    assert result.best() == Setting(5, 60.0)


# --- end to end: telemetry of an independent breaker simulation -----------------------------


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    return write(tmp_path_factory.mktemp("replay"))


def analysis_of(recorded):
    path, config, _ = recorded
    return analyze(path, window_s=WINDOW, until=T0 + WINDOW, config=load_config(config, env={}))


def true_timeline(analysis):
    timeline = load_timelines(analysis.con, analysis.window)[HOST]
    start = timeline.start_us
    truth = from_intervals(
        [(round((T0 + a) * S) - start, round((T0 + b) * S) - start) for a, b in OUTAGES],
        timeline.length_us,
    )
    return timeline, timeline.with_health(truth)


def opens_in(rows) -> int:
    return sum(1 for r in rows if r[2] == "state_change" and r[3]["new_state"] == "open")


def test_replaying_the_recorded_setting_reproduces_the_recording(recorded):
    _, _, sim = recorded
    timeline, _ = true_timeline(analysis_of(recorded))
    result = replay(timeline, Setting(3, 30.0))
    assert timeline.refused == sum(1 for r in sim.rows if r[2] == "rejected")
    assert (result.wasted, result.opens) == (sim.wasted, opens_in(sim.rows))
    assert result.lost == timeline.recorded_lost
    assert result.wasted + result.lost == timeline.recorded_wasted + timeline.recorded_lost


@pytest.mark.parametrize("fail_max, reset", [(3, 30.0), (2, 120.0), (6, 10.0), (4, 600.0)])
def test_over_true_health_any_setting_costs_what_the_simulation_says(recorded, fail_max, reset):
    """Counterfactuals: the replay over the true health equals the independent simulation
    run with that setting on the same arrivals (wasted, lost and opens)."""
    _, truth = true_timeline(analysis_of(recorded))
    sim = run(fail_max, reset)
    result = replay(truth, Setting(fail_max, reset))
    assert (result.wasted, result.lost, result.opens) == (
        sim.wasted, sim.lost, opens_in(sim.rows)
    )  # fmt: skip


def test_reconstruction_finds_the_outages_and_the_same_best_setting(recorded):
    """Four 240 s outages seen through fail_max 3 / reset 30 s: each reconstructed within
    a few seconds, and a grid searched over the reconstruction picks a neighbour of what
    the same grid picks over the truth (single outages make the surface jagged: a probe
    landing just before or after a recovery)."""
    timeline, truth = true_timeline(analysis_of(recorded))
    assert 0.05 < timeline.health.inferred_share < 0.2
    starts = (timeline.health.starts - truth.health.starts) / S
    lengths = (timeline.health.ends - timeline.health.starts) / S
    assert np.all(np.abs(starts) < 3), starts
    assert np.all((lengths >= 240) & (lengths < 260)), lengths
    grid = Grid((2, 3, 5), (10, 30, 60, 120, 300))
    guess = grid_search(timeline, grid, Setting(3, 30.0), 0.5).best_cell()
    real = grid_search(truth, grid, Setting(3, 30.0), 0.5).best_cell()
    assert max(abs(guess[0] - real[0]), abs(guess[1] - real[1])) <= 1, (guess, real)


# --- back-testing recommendations ------------------------------------------------------


def rec(parameter, current, suggested, rule="recovery-time"):
    return Recommendation(parameter, current, suggested, "high", rule, ("because",))


def test_attach_replay_quotes_both_sides_and_vetoes_what_the_traffic_refutes(recorded):
    """The host's breaker changes are replayed together: a change the recorded traffic
    supports is kept with both sides quoted; with a refuted one beside it, the pair is
    dropped (the replay disagrees in sign) and the host's warnings say why."""
    analysis = analysis_of(recorded)
    host = next(h for h in analysis.hosts if h.host == HOST)
    good = rec("fail_max", 3, 2, "late-detection")
    note = rec("reset_timeout_s", 30, 30, "insufficient-evidence")
    other = rec("retry_after_cap_s", 900, 1800, "retry-after-cap")
    host.recommendations = [good, note, other]
    assert attach_replay(analysis) == []
    assert [r.parameter for r in host.recommendations] == [
        "fail_max",
        "reset_timeout_s",
        "retry_after_cap_s",
    ]
    assert host.recommendations[1:] == [note, other]  # a note and a guard: not replayed
    timeline = load_timelines(analysis.con, analysis.window)[HOST]
    today, after = replay(timeline, Setting(3, 30.0, 1, 900)), replay(timeline, Setting(2, 30.0))
    evidence = host.recommendations[0].evidence["replay"]
    assert evidence["current"] == {
        "wasted": today.wasted, "lost": today.lost, "cost": today.cost(0.5),
        "opens": today.opens, "detect_s": today.detect_s, "resume_s": today.resume_s,
    }  # fmt: skip
    assert (evidence["suggested"]["wasted"], evidence["suggested"]["lost"]) == (
        after.wasted, after.lost
    )  # fmt: skip
    good, bad = rec("fail_max", 3, 2, "late-detection"), rec("reset_timeout_s", 30, 3600)
    host.recommendations = [good, bad, note, other]
    vetoed = attach_replay(analysis)
    assert host.recommendations == [note, other]
    assert [v["parameter"] for v in vetoed] == ["fail_max", "reset_timeout_s"]
    assert all(v["host"] == HOST for v in vetoed)
    both = replay(timeline, Setting(2, 3600.0))
    assert both.cost(0.5) > today.cost(0.5)  # what the veto rests on, computed apart
    assert any("replay vetoed" in w for w in host.warnings)


def test_a_replay_without_saving_vetoes_the_change(recorded):
    """The cross-check must agree in sign: one more call per outage is no saving."""
    analysis = analysis_of(recorded)
    host = next(h for h in analysis.hosts if h.host == HOST)
    change = rec("fail_max", 3, 4, "false-open")
    host.recommendations = [change]
    vetoed = attach_replay(analysis)
    assert [v["parameter"] for v in vetoed] == ["fail_max"] and host.recommendations == []
    ev = vetoed[0]["evidence"]["replay"]
    assert 0 < ev["suggested"]["cost"] - ev["current"]["cost"] <= 4
    assert any("replay vetoed fail_max 3 -> 4" in w for w in host.warnings)


def test_trade_offs_give_the_chart_its_points(recorded):
    analysis = analysis_of(recorded)
    host = next(h for h in analysis.hosts if h.host == HOST)
    host.recommendations = [rec("reset_timeout_s", 30, 60)]
    data = trade_offs(analysis, grid=Grid((2, 3, 5), (10, 30, 120)))[HOST]
    assert set(data) == {"lost_weight", "inferred_share", "front", "best", "current", "suggested"}
    assert (data["current"]["fail_max"], data["current"]["reset_timeout_s"]) == (3, 30)
    assert (data["suggested"]["fail_max"], data["suggested"]["reset_timeout_s"]) == (3, 60)
    assert data["best"] in data["front"]
    assert data["best"]["cost"] == min(p["cost"] for p in data["front"])


def test_a_window_opening_mid_outage_starts_from_the_warm_up_state(recorded):
    """The window opens 50 s into the second outage, with the breaker open: calls before
    the window put the replayed breaker in that state, so the recording is reproduced;
    without them the replay would start closed and send calls into the outage."""
    path, config, sim = recorded
    start = 2450.0
    analysis = analyze(
        path, window_s=WINDOW - start, until=T0 + WINDOW, config=load_config(config, env={})
    )
    host = next(h for h in analysis.hosts if h.host == HOST)
    warm = load_timelines(analysis.con, analysis.window)[HOST]
    cold = load_timelines(analysis.con, analysis.window, warmup_s=0)[HOST]
    refused = sum(1 for r in sim.rows if r[2] == "rejected" and r[0] >= T0 + start)
    assert warm.refused == cold.refused == refused
    for timeline, reproduces in ((warm, True), (cold, False)):
        result = replay(timeline, Setting(3, 30.0))
        spared = sum(run.failures for run in timeline.runs) - result.wasted
        same = (result.opens, spared + result.lost) == (host.metrics["opens"], refused)
        assert same is reproduces
