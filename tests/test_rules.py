"""The rules on telemetry with known truth: scripted host behaviour run through an
independent breaker simulation (tests/breaker_sim.py); the right rule must fire in
the right direction, and reset_timeout_s must land near the brute-force optimum."""

from __future__ import annotations

import random

import numpy as np
import pytest
import yaml

from advisor import analyze
from advisor.rules import RULE_NAMES
from advisor.rules.stats import wilson
from tests import manifests as m
from tests.breaker_sim import arrivals, down_between, simulate
from tests.manifests import T0

HOURS = 3600.0


def run(tmp_path, rows, *, defaults: str, rules: dict | None = None, window_s: float):
    path = m.breaker_events(tmp_path / "manifest.sqlite3", rows)
    rules_path = None
    if rules:
        rules_path = tmp_path / "rules.yaml"
        rules_path.write_text(yaml.safe_dump(rules))
    from advisor.config import load_config

    config = load_config(None, env={}, defaults_override=defaults)
    return analyze(path, window_s=window_s, until=T0 + window_s, config=config, rules=rules_path)


def advice(analysis, host):
    result = next(h for h in analysis.hosts if h.host == host)
    return {r["parameter"]: r for r in result.recommendations}


# --- recovery-time ------------------------------------------------------------------

SLOW_OUTAGES = [(600 + k * 1800, 840 + k * 1800) for k in range(12)]  # 240 s each
SLOW_TIMES = arrivals(0.5, 6 * HOURS, seed=3)


def slow_host(reset: float, record: bool = True):
    return simulate(
        "slow.example", SLOW_TIMES, down_between(SLOW_OUTAGES),
        fail_max=3, reset_timeout_s=reset, record=record,
    )  # fmt: skip


def brute_force_optimum() -> float:
    """The reset_timeout_s with the lowest true cost on the scripted outages."""
    candidates = np.geomspace(5, 3600, 80)
    costs = [slow_host(t, record=False).cost(0.5) for t in candidates]
    return float(candidates[int(np.argmin(costs))])


def test_recovery_time_lands_near_the_brute_force_optimum(tmp_path):
    optimum = brute_force_optimum()
    analysis = run(
        tmp_path, slow_host(10).rows, defaults="fail_max:3,reset:10",
        rules={"max_step": 1000}, window_s=6 * HOURS,
    )  # fmt: skip
    rec = advice(analysis, "slow.example")["reset_timeout_s"]
    assert rec["rule"] == "recovery-time" and rec["current"] == 10
    assert optimum / 2 <= rec["suggested"] <= optimum * 2, (rec, optimum)
    assert "wastes" in rec["reasons"][0] and "loses" in rec["reasons"][0]


def test_recovery_time_moves_at_most_one_step_per_run(tmp_path):
    analysis = run(tmp_path, slow_host(10).rows, defaults="fail_max:3,reset:10", window_s=6 * HOURS)
    rec = advice(analysis, "slow.example")["reset_timeout_s"]
    assert rec["suggested"] == 20
    assert rec["evidence"]["unclamped"] > 20


def test_recovery_time_from_far_above_converges_night_by_night(tmp_path):
    """From 900 s the first probe always succeeds, so one night cannot say how short
    the outages are; applying the (step-limited) advice night after night must still
    settle within a factor 2 of the optimum."""
    optimum = brute_force_optimum()
    reset = 900.0
    for night in range(8):
        folder = tmp_path / f"night{night}"
        folder.mkdir()
        analysis = run(
            folder, slow_host(reset).rows, defaults=f"fail_max:3,reset:{reset}",
            window_s=6 * HOURS,
        )  # fmt: skip
        rec = advice(analysis, "slow.example").get("reset_timeout_s")
        if rec is None:
            break
        reset = float(rec["suggested"])
    assert optimum / 2 <= reset <= optimum * 2, (reset, optimum)


def test_host_at_its_optimum_gets_no_change(tmp_path):
    optimum = round(brute_force_optimum())
    analysis = run(
        tmp_path, slow_host(optimum).rows, defaults=f"fail_max:3,reset:{optimum}",
        window_s=6 * HOURS,
    )  # fmt: skip
    assert "reset_timeout_s" not in advice(analysis, "slow.example")


def test_open_duration_is_not_echoed(tmp_path):
    """Today's advisor suggests the median open duration, i.e. the configured value.
    Ours must not: with reset 10 s the opens last ~10 s but the advice differs."""
    analysis = run(tmp_path, slow_host(10).rows, defaults="fail_max:3,reset:10", window_s=6 * HOURS)
    host = next(h for h in analysis.hosts if h.host == "slow.example")
    assert host.metrics["open_duration_s"]["p50"] < 15
    assert advice(analysis, "slow.example")["reset_timeout_s"]["suggested"] != 10


# --- fail_max -----------------------------------------------------------------------


def test_noise_bursts_raise_fail_max(tmp_path):
    rng = random.Random(5)
    res = simulate(
        "noisy.example", arrivals(2, 2 * HOURS, seed=5), lambda t: False,
        fail_max=3, reset_timeout_s=60,
        outcome=lambda t, down: (rng.random() > 0.25, 200, None),
    )  # fmt: skip
    analysis = run(tmp_path, res.rows, defaults="fail_max:3,reset:60", window_s=2 * HOURS)
    rec = advice(analysis, "noisy.example")["fail_max"]
    assert (rec["rule"], rec["current"], rec["suggested"]) == ("false-open", 3, 6)
    assert rec["confidence"] == "high"


def test_frequent_real_outages_lower_fail_max(tmp_path):
    outages = [(300 + k * 700, 900 + k * 700) for k in range(20)]
    rng = random.Random(6)
    res = simulate(
        "dead-often.example", arrivals(1, 4 * HOURS, seed=6), down_between(outages),
        fail_max=12, reset_timeout_s=60,
        outcome=lambda t, down: (not down and rng.random() > 0.02, 503 if down else 200, None),
    )  # fmt: skip
    analysis = run(tmp_path, res.rows, defaults="fail_max:12,reset:60", window_s=4 * HOURS)
    rec = advice(analysis, "dead-often.example")["fail_max"]
    assert (rec["rule"], rec["suggested"]) == ("late-detection", 6)


# --- rate limits and Retry-After ----------------------------------------------------


def test_429_storms_get_a_rate_limit_and_no_fail_max_decrease(tmp_path):
    storms = [(200 + k * 600, 320 + k * 600) for k in range(10)]
    rng = random.Random(7)

    def outcome(t, down):
        if down and rng.random() < 0.8:
            return False, 429, 30.0
        return True, 200, None

    res = simulate(
        "limited.example", arrivals(3, 6000, seed=7), down_between(storms),
        fail_max=12, reset_timeout_s=60, outcome=outcome,
    )  # fmt: skip
    analysis = run(tmp_path, res.rows, defaults="fail_max:12,reset:60", window_s=6000)
    recs = advice(analysis, "limited.example")
    assert recs["rate_limit"]["rule"] == "rate-limited"
    assert recs["rate_limit"]["suggested"].endswith("/s")
    assert "fail_max" not in recs or recs["fail_max"]["suggested"] >= 12


def test_retry_after_above_the_cap(tmp_path):
    rng = random.Random(8)
    res = simulate(
        "slow-down.example", arrivals(0.2, 4 * HOURS, seed=8), lambda t: False,
        fail_max=5, reset_timeout_s=60,
        outcome=lambda t, down: (False, 503, float(rng.choice((1200, 1500, 1800))))
        if rng.random() < 0.1 else (True, 200, None),
    )  # fmt: skip
    analysis = run(
        tmp_path, res.rows, defaults="fail_max:5,reset:60,retry_after_cap:900", window_s=4 * HOURS
    )
    rec = advice(analysis, "slow-down.example")["retry_after_cap_s"]
    assert (rec["rule"], rec["current"], rec["suggested"]) == ("retry-after-cap", 900, 1800)


# --- flapping, tiny hosts, fleet incidents ------------------------------------------


def test_flapping_raises_success_threshold(tmp_path):
    periods = [(k * 115, k * 115 + 100) for k in range(60)]  # down 100 s, up 15 s
    res = simulate(
        "flappy.example", arrivals(1, 2 * HOURS, seed=9), down_between(periods),
        fail_max=3, reset_timeout_s=30,
    )  # fmt: skip
    analysis = run(tmp_path, res.rows, defaults="fail_max:3,reset:30", window_s=2 * HOURS)
    rec = advice(analysis, "flappy.example")["success_threshold"]
    assert (rec["rule"], rec["current"], rec["suggested"]) == ("flapping", 1, 2)


def test_tiny_host_gets_only_a_note(tmp_path):
    res = simulate(
        "tiny.example", [100.0 * k for k in range(1, 13)], lambda t: t > 600,
        fail_max=3, reset_timeout_s=60,
    )  # fmt: skip
    analysis = run(tmp_path, res.rows, defaults="fail_max:3,reset:60", window_s=HOURS)
    host = next(h for h in analysis.hosts if h.host == "tiny.example")
    assert [r["rule"] for r in host.recommendations] == ["insufficient-evidence"]
    assert host.changes == []
    assert host.recommendations[0]["confidence"] == "low"
    assert "12 calls" in host.recommendations[0]["reasons"][0]


def test_fleet_incident_is_reported_once_and_not_tuned_on(tmp_path):
    rows = []
    for i in range(5):  # five hosts lose the network together, twice
        outages = [(1000 + i * 5, 1600), (5000 + i * 5, 5600)]
        rows += simulate(
            f"h{i}.example", arrivals(1, 2 * HOURS, seed=20 + i), down_between(outages),
            fail_max=3, reset_timeout_s=10,
        ).rows  # fmt: skip
    analysis = run(tmp_path, rows, defaults="fail_max:3,reset:10", window_s=2 * HOURS)
    assert len(analysis.incidents) == 2
    assert analysis.incidents[0].hosts == [f"h{i}.example" for i in range(5)]
    for host in analysis.hosts:
        assert [r["rule"] for r in host.recommendations] == ["fleet-incident"]
    assert sum("fleet incident" in w for w in analysis.warnings) == 2


def test_disabled_breakers_get_no_changes(tmp_path):
    from advisor.config import load_config

    path = m.breaker_events(tmp_path / "m.sqlite3", slow_host(10).rows)
    config = load_config(None, env={"DOCSTOKG_BREAKER_DISABLED": "1"}, defaults_override="reset:10")
    analysis = analyze(path, window_s=6 * HOURS, until=T0 + 6 * HOURS, config=config)
    assert all(h.recommendations == [] for h in analysis.hosts)
    assert any("disabled" in w for w in analysis.warnings)


# --- the registry and the statistics ------------------------------------------------

COVERED = {
    "recovery-time": test_recovery_time_lands_near_the_brute_force_optimum,
    "false-open": test_noise_bursts_raise_fail_max,
    "late-detection": test_frequent_real_outages_lower_fail_max,
    "flapping": test_flapping_raises_success_threshold,
    "fleet-incident": test_fleet_incident_is_reported_once_and_not_tuned_on,
    "rate-limited": test_429_storms_get_a_rate_limit_and_no_fail_max_decrease,
    "retry-after-cap": test_retry_after_above_the_cap,
    "insufficient-evidence": test_tiny_host_gets_only_a_note,
}


def test_every_rule_has_a_scenario():
    missing = sorted(set(RULE_NAMES) - set(COVERED))
    assert not missing, f"rules without a test scenario: {missing}"


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [(7, 9, 0.4528, 0.9368), (0, 10, 0.0, 0.2775), (10, 10, 0.7225, 1.0)],  # published values
)
def test_wilson_interval(k, n, low, high):
    got = wilson(k, n)
    assert got == pytest.approx((low, high), abs=1e-3)
