"""Breakers, not only hosts (docs/design.md "Breakers, and the time they were active").

The runtime keeps one breaker per host, and one per (host, role) when the role is tuned
differently; the two breakers' transitions interleave in one host's telemetry. Open
intervals, episodes, trials, streaks, advice and the replay timelines are each one
breaker's; the host row sums them and lists them. Every expected number below is worked
out by hand from the timeline (comments: seconds after T0).
"""

from __future__ import annotations

import contextlib
import textwrap

import pytest

from advisor import analyze
from advisor.advice.replay import load_breaker_timelines, load_timelines
from advisor.config import load_config
from advisor.errors import BreakerOpenError
from advisor.ingest.breakers import configured_breakers
from advisor.simulate import VirtualClock, pybreaker_clock
from advisor.telemetry import BreakerRegistry, ManifestWriter
from tests.helpers import manifests as m
from tests.helpers.manifests import T0, call, change

H = "two.example"
META = {"role": "metadata"}
UNTIL = T0 + 3600

# The host's breaker (no role on its transitions) and the `metadata` role's own breaker
# (its transitions carry the role), opening 10 s apart and recovering at different times.
# `landing` has no breaker of its own: its call belongs to the host's breaker.
INTERLEAVED = [
    call(T0 + 7, H, "failure"),
    call(T0 + 8, H, "failure", role="landing"),  # the host's breaker
    call(T0 + 8.5, H, "failure", **META),
    call(T0 + 9, H, "failure"),
    change(T0 + 10, H, "closed", "open"),  # host breaker opens (streak of 3)
    call(T0 + 15, H, "failure", **META),
    change(T0 + 20, H, "closed", "open", **META),  # metadata opens (streak of 2)
    change(T0 + 70, H, "open", "half_open"),
    call(T0 + 70.0001, H, "success", "half_open"),  # host trial: success
    change(T0 + 70.0002, H, "half_open", "closed"),
    change(T0 + 80, H, "open", "half_open", **META),
    call(T0 + 80.0001, H, "failure", "half_open", **META),  # metadata trial: failure
    change(T0 + 80.0002, H, "half_open", "open", **META),
    change(T0 + 140, H, "open", "half_open", **META),
    call(T0 + 140.0001, H, "success", "half_open", **META),  # metadata trial: success
    change(T0 + 140.0002, H, "half_open", "closed", **META),
    call(T0 + 100, "one.example", "success", role="landing"),  # one breaker only
]


def _metrics(m: dict) -> dict:
    keys = ("calls", "successes", "failures", "opens", "open_time_s", "open_duration_s",
            "episodes", "episode_duration_s", "half_open_trials", "half_open_successes",
            "half_open_failures")  # fmt: skip
    return {k: m[k] for k in keys}


def _durations(p50: float, p90: float, top: float) -> dict:
    return {"p50": pytest.approx(p50), "p90": pytest.approx(p90), "max": pytest.approx(top)}


def test_interleaved_breakers_each_get_their_own_intervals_and_episodes(tmp_path, advise_json):
    """Host breaker: open 10 -> 70 (60 s), episode 10 -> 70.0002. Metadata breaker: open
    20 -> 80 (60 s) and 80.0002 -> 140 (59.9998 s), one episode 20 -> 140.0002. Read
    per host, the opens would end at the other breaker's transitions (10 -> 20: 10 s)."""
    path = m.breaker_events(tmp_path / "m.sqlite3", INTERLEAVED)
    report = advise_json(path, until=str(UNTIL))
    hosts = {h["host"]: h for h in report["hosts"]}
    two = hosts[H]
    breakers = {b["breaker"]: b for b in two["breakers"]}
    assert [b["breaker"] for b in two["breakers"]] == [H, f"{H}:metadata"]
    assert [b["role"] for b in two["breakers"]] == [None, "metadata"]

    own = _metrics(breakers[H]["metrics"])
    assert own == {
        "calls": 4,  # 7, 8 (landing), 9, 70.0001
        "successes": 1,
        "failures": 3,
        "opens": 1,
        "open_time_s": pytest.approx(60.0),
        "open_duration_s": _durations(60.0, 60.0, 60.0),
        "episodes": 1,
        "episode_duration_s": _durations(60.0002, 60.0002, 60.0002),
        "half_open_trials": 1,
        "half_open_successes": 1,
        "half_open_failures": 0,
    }
    meta = _metrics(breakers[f"{H}:metadata"]["metrics"])
    assert meta == {
        "calls": 4,  # 8.5, 15, 80.0001, 140.0001
        "successes": 1,
        "failures": 3,
        "opens": 2,
        "open_time_s": pytest.approx(60 + 59.9998),
        "open_duration_s": _durations(59.9999, 59.9998 + 0.9 * 0.0002, 60.0),
        "episodes": 1,
        "episode_duration_s": _durations(120.0002, 120.0002, 120.0002),
        "half_open_trials": 2,
        "half_open_successes": 1,
        "half_open_failures": 1,
    }
    # the host row is the sum (percentiles over all of its breakers' durations)
    assert _metrics(two["metrics"]) == {
        "calls": 8,
        "successes": 2,
        "failures": 6,
        "opens": 3,
        "open_time_s": pytest.approx(179.9998),
        "open_duration_s": _durations(60.0, 60.0, 60.0),
        "episodes": 2,
        "episode_duration_s": _durations(90.0002, 60.0002 + 0.9 * 60, 120.0002),
        "half_open_trials": 3,
        "half_open_successes": 2,
        "half_open_failures": 1,
    }
    # active time (ms resolution): the gaps between each breaker's own attempts
    # (7 -> 70.0001; 8.5 -> 140.0001), the host's over all of them (7 -> 140.0001)
    assert breakers[H]["metrics"]["active_s"] == pytest.approx(63.0001, abs=1e-3)
    assert breakers[f"{H}:metadata"]["metrics"]["active_s"] == pytest.approx(131.5001, abs=1e-3)
    assert two["metrics"]["active_s"] == pytest.approx(133.0001, abs=1e-3)
    # a host with one breaker (a role without a breaker of its own) lists none
    assert "breakers" not in hosts["one.example"]
    assert hosts["one.example"]["metrics"]["calls"] == 1


def test_interleaved_breakers_streaks_and_relations(tmp_path):
    """Failure streaks run within one breaker: host 7, 8 (landing), 9 -> open at 10
    (length 3); metadata 8.5, 15 -> open at 20 (length 2). Read per host they would be
    one streak of 4. The relations carry the breaker."""
    path = m.breaker_events(tmp_path / "m.sqlite3", INTERLEAVED)
    analysis = analyze(path, until=UNTIL)
    streaks = analysis.con.execute(
        "SELECT breaker_role, length, ended_by FROM failure_streaks($s, $e, [$h]) "
        "ORDER BY breaker_role NULLS FIRST",
        {"s": analysis.window.start, "e": analysis.window.end, "h": H},
    ).fetchall()
    assert streaks == [(None, 3, "open"), ("metadata", 2, "open")]
    opens = analysis.con.execute(
        "SELECT breaker_role, round(duration_s, 4) FROM open_intervals WHERE host = $h "
        "ORDER BY opened_at",
        {"h": H},
    ).fetchall()
    assert opens == [(None, 60.0), ("metadata", 60.0), ("metadata", 59.9998)]
    trials = analysis.con.execute(
        "SELECT breaker_role, outcome::VARCHAR FROM half_open_trials WHERE host = $h ORDER BY ts",
        {"h": H},
    ).fetchall()
    assert trials == [(None, "success"), ("metadata", "failure"), ("metadata", "success")]
    names = analysis.con.execute(
        "SELECT DISTINCT breaker FROM events WHERE host = $h ORDER BY 1", {"h": H}
    ).fetchall()
    assert names == [(H,), (f"{H}:metadata",)]


def test_replay_runs_one_state_machine_per_breaker(tmp_path):
    """The replay timeline of the host has one run per breaker (one run id, two
    breakers); each breaker's own timeline holds only its calls, under the health of the
    whole host."""
    path = m.breaker_events(tmp_path / "m.sqlite3", INTERLEAVED)
    analysis = analyze(path, until=UNTIL)
    host = load_timelines(analysis.con, analysis.window, [H])[H]
    assert len(host.runs) == 2
    assert sorted(run.n for run in host.runs) == [4, 4]
    per_breaker = load_breaker_timelines(
        analysis.con, analysis.window, [(H, None), (H, "metadata")]
    )
    assert set(per_breaker) == {(H, None), (H, "metadata")}
    assert [len(t.runs) for t in per_breaker.values()] == [1, 1]
    assert per_breaker[(H, None)].times.size == 4
    assert per_breaker[(H, "metadata")].times.size == 4
    assert per_breaker[(H, "metadata")].health is per_breaker[(H, None)].health


def test_host_row_advice_is_its_own_breakers(tmp_path, advise_json):
    """Per-breaker advice from per-breaker evidence, with each breaker's own current
    settings: 30 calls per breaker (60 for the host) -- each breaker is under the 50
    calls a change needs, so each gets the insufficient-evidence note quoting its own 30
    calls and its own reset_timeout_s (host 60 s from the defaults, metadata 30 s from
    the configuration). The host row carries its own breaker's advice and settings."""
    (tmp_path / "breakers.yaml").write_text(
        "hosts:\n  two.example:\n    roles:\n      metadata:\n        reset_timeout_s: 30\n"
    )
    rows = [call(T0 + i, H, "success") for i in range(30)]
    rows += [call(T0 + 0.5 + i, H, "success", **META) for i in range(30)]
    path = m.breaker_events(tmp_path / "m.sqlite3", rows)
    report = advise_json(path, "--config", tmp_path / "breakers.yaml", until=str(UNTIL))
    (two,) = report["hosts"]
    assert two["metrics"]["calls"] == 60
    own, meta = two["breakers"]
    assert (own["breaker"], meta["breaker"]) == (H, f"{H}:metadata")
    assert own["current"]["reset_timeout_s"] == 60
    assert meta["current"]["reset_timeout_s"] == 30
    assert meta["current_origin"]["reset_timeout_s"] == "yaml"
    for breaker, reset in ((own, 60), (meta, 30)):
        (note,) = breaker["recommendations"]
        assert note["rule"] == "insufficient-evidence"
        assert note["evidence"] == {"calls": 30, "episodes": 0}
        assert note["suggested"] == reset
    assert two["recommendations"] == own["recommendations"]
    assert two["current"] == own["current"]


def test_a_role_breaker_known_only_from_the_configuration(tmp_path, advise_json):
    """`artifact` is tuned differently for this host, so the runtime gave it a breaker of
    its own; that breaker never changed state, so only the configuration tells. The host
    breaker closes at 70.0001 and its trial is logged `closed` (pybreaker's listener
    order) at 70.0003 -- after an `artifact` call at 70.0002, which belongs to the other
    breaker and so is not the host breaker's trial. Without the configuration the
    `artifact` call would be the host's first call after the close."""
    (tmp_path / "breakers.yaml").write_text(
        textwrap.dedent(
            """
            hosts:
              two.example:
                roles:
                  artifact:
                    fail_max: 3
            """
        )
    )
    art = {"role": "artifact"}
    rows = [
        call(T0 + 9, H, "failure"),
        change(T0 + 10, H, "closed", "open"),
        change(T0 + 70, H, "open", "half_open"),
        change(T0 + 70.0001, H, "half_open", "closed"),
        call(T0 + 70.0002, H, "success", "closed", **art),  # the artifact breaker's call
        call(T0 + 70.0003, H, "success", "closed"),  # the host breaker's trial
        call(T0 + 71, H, "success", "closed", **art),
    ]
    path = m.breaker_events(tmp_path / "m.sqlite3", rows)
    config = ("--config", tmp_path / "breakers.yaml")
    (two,) = advise_json(path, *config, until=str(UNTIL))["hosts"]
    own, artifact = two["breakers"]
    assert artifact["breaker"] == f"{H}:artifact"
    assert artifact["current"]["fail_max"] == 3
    assert (own["metrics"]["calls"], artifact["metrics"]["calls"]) == (2, 2)
    assert own["metrics"]["half_open_trials"] == 1
    assert artifact["metrics"]["half_open_trials"] == 0
    analysis = analyze(path, until=UNTIL, config=tmp_path / "breakers.yaml")
    trial = analysis.con.execute(
        "SELECT epoch(ts) - $t0, breaker_role FROM half_open_trials", {"t0": T0}
    ).fetchall()
    assert [(round(t, 4), role) for t, role in trial] == [(70.0003, None)]

    (plain,) = advise_json(path, until=str(UNTIL))["hosts"]  # without the configuration
    assert "breakers" not in plain
    assert plain["metrics"]["half_open_trials"] == 1


def test_a_host_whose_only_breaker_is_a_roles_lists_it(tmp_path, advise_json):
    """Every call of the window went through the `metadata` role's own breaker: the host
    lists that one breaker (its own had nothing to do), the row sums it (here: equals
    it) and carries no advice of its own breaker's."""
    rows = [
        call(T0 + 1, H, "failure", **META),
        change(T0 + 2, H, "closed", "open", **META),
        change(T0 + 62, H, "open", "half_open", **META),
        call(T0 + 62.0001, H, "success", "half_open", **META),
        change(T0 + 62.0002, H, "half_open", "closed", **META),
    ]
    path = m.breaker_events(tmp_path / "m.sqlite3", rows)
    (row,) = advise_json(path, until=str(UNTIL))["hosts"]
    (meta,) = row["breakers"]
    assert meta["breaker"] == f"{H}:metadata"
    assert meta["metrics"] == row["metrics"]
    assert meta["metrics"]["open_duration_s"]["max"] == pytest.approx(60.0)
    assert [r["rule"] for r in meta["recommendations"]] == ["insufficient-evidence"]
    assert row["recommendations"] == []


def test_configured_breakers_follow_effective_settings(tmp_path):
    """A role tuned in `defaults.roles` has its own breaker on every host, except where
    the host's own values make it no different; a host's role entry adds its own."""
    (tmp_path / "breakers.yaml").write_text(
        textwrap.dedent(
            """
            defaults:
              fail_max: 5
              roles:
                metadata:
                  fail_max: 3
            hosts:
              a.example:
                fail_max: 3
              c.example:
                roles:
                  landing:
                    reset_timeout_s: 30
            """
        )
    )
    config = load_config(tmp_path / "breakers.yaml", env={})
    assert configured_breakers(config) == {
        "hosts": ["a.example", "c.example"],
        "pairs": [["c.example", "landing"], ["c.example", "metadata"]],
        "roles": ["metadata"],
    }


# --- a file written by advisor.telemetry itself ----------------------------------------


class Boom(Exception):
    pass


def ok() -> str:
    return "ok"


def boom() -> None:
    raise Boom("503")


def test_registry_with_a_role_tuned_differently_is_read_back_as_two_breakers(tmp_path, advise_json):
    """Real pybreaker breakers, listener and writer: the host's breaker (fail_max 2,
    reset 10 s) and the `metadata` role's own (fail_max 1). Seconds after T0: host
    failures at 3 and 4 open it at 4; a metadata failure at 5 opens that one at 5; host
    trial at 14.5 closes it (open 10.5 s), metadata trial at 16 (open 11 s). Read per
    host, the host's open would have ended at 5 (the metadata open) after 1 s."""
    (tmp_path / "breakers.yaml").write_text(
        "defaults:\n  fail_max: 2\n  reset_timeout_s: 10\n"
        "hosts:\n  api.example.org:\n    roles:\n      metadata:\n        fail_max: 1\n"
    )
    clock = VirtualClock(T0 + 1)
    writer = ManifestWriter(tmp_path / "m.sqlite3", run_id="reg", flush_interval_s=None)
    config = load_config(tmp_path / "breakers.yaml", env={})
    registry = BreakerRegistry(config, writer, clock=clock)
    host = "api.example.org"

    def at(t: float, func, role: str | None = None) -> None:
        clock.now = T0 + t
        with contextlib.suppress(Boom, BreakerOpenError):  # refused or failed: logged
            registry.call(host, func, role=role)

    with pybreaker_clock(clock):
        at(2, ok)
        at(3, boom)
        at(4, boom)  # host breaker opens
        at(5, boom, role="metadata")  # metadata breaker opens
        at(6, ok, role="landing")  # the host's breaker: refused
        at(14.5, ok)  # host trial: closes
        at(16, ok, role="metadata")  # metadata trial: closes
        at(17, ok, role="metadata")
    writer.close()

    report = advise_json(writer.path, "--config", tmp_path / "breakers.yaml", until=str(UNTIL))
    (row,) = report["hosts"]
    own, meta = row["breakers"]
    assert (own["breaker"], meta["breaker"]) == (host, f"{host}:metadata")
    assert (own["current"]["fail_max"], meta["current"]["fail_max"]) == (2, 1)
    assert own["metrics"]["opens"] == meta["metrics"]["opens"] == 1
    assert own["metrics"]["open_duration_s"]["max"] == pytest.approx(10.5)
    assert meta["metrics"]["open_duration_s"]["max"] == pytest.approx(11.0)
    assert own["metrics"]["episode_duration_s"]["max"] == pytest.approx(10.5)
    assert meta["metrics"]["episode_duration_s"]["max"] == pytest.approx(11.0)
    assert (own["metrics"]["calls"], meta["metrics"]["calls"]) == (4, 3)
    assert (own["metrics"]["rejected"], meta["metrics"]["rejected"]) == (1, 0)
    assert own["metrics"]["half_open_trials"] == meta["metrics"]["half_open_trials"] == 1
    assert row["metrics"]["opens"] == 2
    assert row["metrics"]["open_time_s"] == pytest.approx(21.5)
    assert row["metrics"]["calls"] == 7


def test_a_role_breakers_change_is_written_under_its_role(tmp_path):
    """`--write-config` / `--format yaml`: the host's own breaker's change goes under
    `hosts.<host>`, a role's own breaker's under `hosts.<host>.roles.<role>`; the
    written file gives each breaker the suggested value."""
    from advisor.model import BreakerResult, HostResult, Recommendation
    from advisor.outputs.patch import write_config, yaml_fragment

    def rec(parameter: str, current: float, suggested: float) -> Recommendation:
        return Recommendation(parameter, current, suggested, "high", "recovery-time", ("why",))

    own = BreakerResult(H, None, {}, recommendations=[rec("fail_max", 5, 8)])
    meta = BreakerResult(H, "metadata", {}, recommendations=[rec("reset_timeout_s", 30, 120)])
    host = HostResult(H, {}, recommendations=own.recommendations, breakers=[own, meta])
    source = tmp_path / "breakers.yaml"
    source.write_text("hosts:\n  two.example:\n    roles:\n      metadata:\n        fail_max: 2\n")
    fragment = yaml_fragment([host])
    assert "roles:" in fragment and "metadata:" in fragment
    written = write_config([host], source, tmp_path / "tuned.yaml")
    config = load_config(written, env={})
    assert config.effective(H).fail_max == 8
    assert config.effective(H, "metadata").reset_timeout_s == 120
    assert config.effective(H, "metadata").fail_max == 2  # kept
