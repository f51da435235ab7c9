"""The rolling-window policy (``advanced.rolling``): its configuration, the runtime's
cooldowns and their telemetry, the replay's model of it against an independent
simulation, and the advice (did the thresholds help, which values, the YAML patch)."""

from __future__ import annotations

import contextlib
import json
import random
import sqlite3
import textwrap
from collections import deque
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import yaml

from advisor.advice.replay.machine import Rolling, run_breaker, step_breaker
from advisor.advice.replay.timeline import FAIL, OK, Run
from advisor.advice.rules import rolling as rolling_rule
from advisor.config import RollingSettings, load_config
from advisor.errors import BreakerOpenError, ConfigError
from advisor.outputs.patch import write_config, yaml_fragment
from advisor.pipeline import analyze
from advisor.simulate import VirtualClock, pybreaker_clock
from advisor.telemetry import BreakerRegistry, ManifestWriter
from advisor.telemetry.rolling import RollingWindow
from tests.helpers.manifests import T0

ROLLING_YAML = """
defaults:
  fail_max: 100
  reset_timeout_s: 30
advanced:
  rolling:
    enabled: true
    window_s: 10
    threshold_failures: 3
    cooldown_s: 30
"""


class HTTPError(Exception):
    def __init__(self, status: int = 503) -> None:
        super().__init__(f"HTTP {status}")
        self.status_code = status


def ok() -> str:
    return "ok"


def fail() -> None:
    raise HTTPError()


def write(tmp_path: Path, text: str, name: str = "breakers.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


# --- configuration ------------------------------------------------------------------------


def test_rolling_settings_are_read_and_filled_with_the_built_ins(tmp_path):
    config = load_config(write(tmp_path, ROLLING_YAML), env={})
    assert config.rolling_settings() == RollingSettings(True, 10.0, 3, 30.0)
    partial = "advanced:\n  rolling:\n    enabled: true\n    window_s: 5\n"
    filled = load_config(write(tmp_path, partial), env={}).rolling_settings()
    assert filled == RollingSettings(enabled=True, window_s=5.0)
    off = "advanced:\n  rolling:\n    enabled: false\n    window_s: 5\n"
    assert load_config(write(tmp_path, off), env={}).rolling_settings() is None
    assert load_config(None, env={}).rolling_settings() is None


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("enabled: yes please", ["advanced.rolling.enabled", "expected true or false"]),
        ("enabled: 1", ["advanced.rolling.enabled", "expected true or false", "1"]),
        ("threshold_failures: 0", ["advanced.rolling.threshold_failures", "positive integer"]),
        ("threshold_failures: 2.5", ["advanced.rolling.threshold_failures", "2.5"]),
        ("window_s: -1", ["advanced.rolling.window_s", "positive number of seconds"]),
        ("window_s: soon", ["advanced.rolling.window_s", "'soon'"]),
        ("cooldown_s: 0", ["advanced.rolling.cooldown_s", "positive number of seconds"]),
        ("cooldown_s: .nan", ["advanced.rolling.cooldown_s"]),
        ("burst: 3", ["advanced.rolling.burst", "unknown key", "threshold_failures"]),
    ],
)
def test_bad_rolling_values_are_rejected_with_the_key(tmp_path, body, words):
    path = write(tmp_path, f"advanced:\n  rolling:\n    {body}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    message = str(info.value)
    assert str(path) in message
    for word in words:
        assert word in message


# --- runtime ------------------------------------------------------------------------------


@pytest.fixture
def runtime(tmp_path):
    config = load_config(write(tmp_path, ROLLING_YAML), env={})
    clock = VirtualClock(T0)
    writer = ManifestWriter(tmp_path / "m.sqlite3", run_id="roll", flush_interval_s=None)
    registry = BreakerRegistry(config, writer, clock=clock)
    with pybreaker_clock(clock):
        yield SimpleNamespace(registry=registry, clock=clock, writer=writer)
    writer.close()


def at(s: SimpleNamespace, t: float, func, host: str = "api.example.org"):
    s.clock.now = T0 + t
    try:
        return s.registry.call(host, func)
    except (HTTPError, BreakerOpenError) as exc:
        return exc


def test_a_burst_inside_the_window_sets_a_cooldown_at_the_time_computed_by_hand(runtime):
    """Failures at 0, 4, 12, 13 s with window 10 s and threshold 3: at 12 s only 4 and
    12 are inside (2 < 3; the success at 5 s does not reset the window); at 13 s, 4, 12
    and 13 are: the cooldown runs 13 -> 43 s. The consecutive-failure breaker
    (fail_max 100) never opens."""
    s = runtime
    for t, func in ((0, fail), (4, fail), (5, ok), (12, fail)):
        at(s, t, func)
    assert s.registry.cooldowns.get("api.example.org") is None
    at(s, 13, fail)
    cooldown = s.registry.cooldowns.get("api.example.org")
    assert cooldown.until == T0 + 43
    assert cooldown.reason == "rolling window: 3 failures within 10 s"
    refused = at(s, 14, ok)
    assert isinstance(refused, BreakerOpenError) and refused.until == T0 + 43
    assert isinstance(at(s, 42.9, ok), BreakerOpenError)
    assert at(s, 43, ok) == "ok"
    # the burst was forgotten: two more failures are not a new burst, a third is
    at(s, 44, fail)
    at(s, 45, fail)
    assert isinstance(at(s, 46, ok), str)
    at(s, 47, fail)
    assert s.registry.cooldowns.get("api.example.org").until == T0 + 77
    assert s.registry.state("api.example.org") == "closed"

    s.writer.flush()
    with sqlite3.connect(s.writer.path) as con:
        rows = con.execute(
            "SELECT ts, event_type, details FROM breaker_events ORDER BY id"
        ).fetchall()
    rejected = [(ts - T0, json.loads(d)["reason"]) for ts, kind, d in rows if kind == "rejected"]
    assert rejected == [(14, "rolling_cooldown"), (pytest.approx(42.9), "rolling_cooldown")]


def test_a_retry_after_cooldown_keeps_its_own_reason(runtime, tmp_path):
    class Throttled(HTTPError):
        def __init__(self) -> None:
            super().__init__(429)
            self.retry_after_s = 5

    def throttled() -> None:
        raise Throttled()

    s = runtime
    at(s, 0, throttled, host="other.example.org")
    assert isinstance(at(s, 1, ok, host="other.example.org"), BreakerOpenError)
    s.writer.flush()
    with sqlite3.connect(s.writer.path) as con:
        reasons = [json.loads(d)["reason"] for (d,) in con.execute(
            "SELECT details FROM breaker_events WHERE event_type = 'rejected'")]  # fmt: skip
    assert reasons == ["cooldown"]


def test_the_window_excludes_a_failure_exactly_window_s_old():
    window = RollingWindow(RollingSettings(True, 10.0, 2, 5.0))
    assert window.failure("h", 0.0) is None
    assert window.failure("h", 10.0) is None  # 0 is not within (0, 10]
    assert window.failure("h", 19.9) == pytest.approx(24.9)
    assert window.failure("other", 20.0) is None  # per host


# --- replay -------------------------------------------------------------------------------


def simple_replay(times, outcomes, fail_max, reset, rolling, first=0):
    """An independent model: a list of (time, ok) calls, a breaker and the policy as the
    runtime applies them, one call at a time. Returns (opens, refused_ok, refused_fail,
    rolling cooldowns)."""
    state, count, opened = "closed", 0, None
    cooldown_end = None
    recent: deque[float] = deque()
    opens = refused_ok = refused_fail = cooldowns = 0
    for i, (t, good) in enumerate(zip(times, outcomes, strict=True)):
        counts = i >= first
        blocked = cooldown_end is not None and t < cooldown_end
        if not blocked and state == "open" and t < opened + reset:
            blocked = True
        if blocked:
            if counts:
                refused_ok += good
                refused_fail += not good
            continue
        if state == "open":
            state = "half"
        if good:
            count = 0
            if state == "half":
                state = "closed"
            continue
        count += 1
        if state == "half" or count >= fail_max:
            state, opened, count = "open", t, 0
            opens += counts
        if rolling is not None:
            window, threshold, length = rolling
            recent.append(t)
            recent = deque(x for x in recent if x > t - window)
            if len(recent) >= threshold:
                recent.clear()
                cooldowns += counts
                cooldown_end = max(cooldown_end or t, t + length)
    return opens, refused_ok, refused_fail, cooldowns


def make_run(times_us, outcomes):
    codes = np.array([OK if good else FAIL for good in outcomes], np.int8)
    return Run(np.array(times_us, np.int64), codes, np.zeros(len(times_us), np.int64))


def test_the_replay_refuses_during_the_hand_computed_cooldown():
    times = [0, 4, 5, 12, 13, 14, 20, 42, 43, 44]
    good = [False, False, True, False, False, True, True, True, True, True]
    run = make_run([t * 1_000_000 for t in times], good)
    counts = step_breaker(run, 100, 30_000_000, rolling=Rolling(10_000_000, 3, 30_000_000))
    # refused: 14, 20, 42 (inside 13 -> 43), all healthy calls
    assert (counts.opens, counts.refused_ok, counts.refused_fail) == (0, 3, 0)
    assert (counts.cooldowns, counts.extra, counts.rolling_refused) == (1, 1, 3)


def random_run(rng: random.Random):
    n = rng.randint(0, 80)
    times = sorted(rng.uniform(-5, 120) for _ in range(n))
    burst = rng.uniform(0.2, 0.8)
    good = [rng.random() > burst for _ in range(n)]
    return times, good


@pytest.mark.parametrize("seed", range(5))
def test_the_replay_with_rolling_agrees_with_an_independent_simulation(seed):
    rng = random.Random(seed)
    for _ in range(300):
        times, good = random_run(rng)
        fail_max, reset = rng.randint(1, 6), rng.choice([1.0, 5.0, 20.0])
        window, threshold, length = (
            rng.choice([2.0, 10.0]),
            rng.randint(1, 5),
            rng.choice([1.0, 7.0, 30.0]),
        )
        us = [round(t * 1_000_000) for t in times]
        run = make_run(us, good)
        got = step_breaker(
            run, fail_max, round(reset * 1e6),
            rolling=Rolling(round(window * 1e6), threshold, round(length * 1e6)),
        )  # fmt: skip
        first = sum(t < 0 for t in us)
        want = simple_replay([u / 1e6 for u in us], good, fail_max, reset,
                             (window, threshold, length), first)  # fmt: skip
        assert (got.opens, got.refused_ok, got.refused_fail, got.cooldowns) == want
        plain = run_breaker(run, fail_max, round(reset * 1e6))
        none = step_breaker(run, fail_max, round(reset * 1e6))
        assert (none.opens, none.refused_ok, none.refused_fail) == (
            plain.opens, plain.refused_ok, plain.refused_fail,
        )  # fmt: skip
        assert simple_replay([u / 1e6 for u in us], good, fail_max, reset, None, first)[:3] == (
            plain.opens, plain.refused_ok, plain.refused_fail,
        )  # fmt: skip


# --- advice -------------------------------------------------------------------------------


def record(tmp_path: Path, config_text: str) -> tuple[Path, Path]:
    """A manifest written by the runtime: one host, a call a second for 30 minutes,
    with scattered single failures (never 5 in a row) while healthy and a 5-minute
    outage. The rolling window (3 failures within 60 s) cools the host down on noise."""
    path = write(tmp_path, config_text)
    config = load_config(path, env={})
    clock = VirtualClock(T0)
    manifest = tmp_path / "manifest.sqlite3"
    rng = random.Random(7)
    with ManifestWriter(manifest, run_id="adv", flush_interval_s=None) as writer:
        registry = BreakerRegistry(config, writer, clock=clock)
        with pybreaker_clock(clock):
            for second in range(1800):
                clock.now = T0 + second
                down = 600 <= second < 900
                func = fail if down or rng.random() < 0.12 else ok
                with contextlib.suppress(HTTPError, BreakerOpenError):
                    registry.call("api.example.org", func)
    return path, manifest


NOISY_YAML = """
defaults:
  fail_max: 5
  reset_timeout_s: 30
advanced:
  rolling:
    enabled: true
    window_s: 60
    threshold_failures: 3
    cooldown_s: 60
"""


def test_the_advice_says_what_the_thresholds_did_and_suggests_values(tmp_path):
    config_path, manifest = record(tmp_path, NOISY_YAML)
    with sqlite3.connect(manifest) as con:
        reasons = dict(con.execute(
            "SELECT json_extract(details, '$.reason'), count(*) FROM breaker_events "
            "WHERE event_type = 'rejected' GROUP BY 1"))  # fmt: skip
    assert reasons.get("rolling_cooldown", 0) > 100  # it fired on the noise
    analysis = analyze([manifest], config=config_path, window_s=1800, until=T0 + 1800)
    (host,) = analysis.hosts
    recs = [r for r in host.recommendations if r.rule == rolling_rule.NAME]
    assert recs and {r.parameter for r in recs} <= set(rolling_rule.PARAMETERS)
    evidence = recs[0].evidence["rolling"]
    now, off = evidence["current"], evidence["without"]
    assert now["cooldowns"] > 0 and off["cooldowns"] == 0
    assert now["lost"] > off["lost"]  # cooling down a healthy host refuses healthy calls
    assert "cooldown(s)" in recs[0].reasons[0]
    # the fleet's cost falls with the suggestion
    fleet = recs[0].evidence["fleet_cost"]
    assert fleet["suggested"] < fleet["current"]
    changed = [r for r in recs if r.is_change]
    assert changed
    json.dumps(host.to_dict())  # JSON-able

    fragment = yaml.safe_load(yaml_fragment(analysis.hosts))
    rolling = fragment["advanced"]["rolling"]
    assert rolling == {r.parameter.removeprefix("rolling."): r.suggested for r in changed}
    out = write_config(analysis.hosts, config_path, tmp_path / "new.yaml")
    merged = load_config(out, env={})
    assert merged.rolling == {**load_config(config_path, env={}).rolling, **rolling}


def test_without_rolling_in_the_config_nothing_is_said(tmp_path):
    config_path, manifest = record(tmp_path, "defaults:\n  fail_max: 5\n  reset_timeout_s: 30\n")
    analysis = analyze([manifest], config=config_path, window_s=1800, until=T0 + 1800)
    for host in analysis.hosts:
        assert not [r for r in host.recommendations if r.parameter.startswith("rolling.")]
    assert "advanced" not in yaml.safe_load(yaml_fragment(analysis.hosts))


def test_candidates_hold_today_first_and_off_last():
    policy = RollingSettings(True, 10.0, 3, 30.0)
    found = rolling_rule.candidates(policy)
    assert found[0] == policy and found[-1] is None
    assert len(found) == len(set(found)) == 1 + 3 * 3 * 3 - 1 + 1
