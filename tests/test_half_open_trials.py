"""Half-open trials counted exactly, whatever order the listener logged them in.

pybreaker closes a half-open breaker before it calls the listeners' ``success()``, so a
listener reading the breaker's state logs the trial that closed it as ``closed``
(DESIGN.md). The advisor repairs that: a ``closed`` success is the trial of a half-open
period only when it is the first call of that breaker after the ``half_open -> closed``
transition, within 1 s of it, and no call of that period was logged as ``half_open``.
Every expected count below is read off the timeline by hand (comments: seconds after T0).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import textwrap

import pytest

from advisor import analyze, queries
from advisor.config import load_config
from advisor.errors import BreakerOpenError
from advisor.simulate import VirtualClock, pybreaker_clock
from advisor.telemetry import BreakerRegistry, ManifestWriter
from tests.helpers import manifests as m
from tests.helpers.manifests import T0, call, change

H = "a.example"
UNTIL = T0 + 3600


def trials(advise_json, path, host: str = H) -> tuple[int, int, int]:
    """(half_open_trials, half_open_successes, half_open_failures) of ``host``."""
    report = advise_json(path, until=str(UNTIL))
    metrics = {h["host"]: h["metrics"] for h in report["hosts"]}[host]
    return (
        metrics["half_open_trials"],
        metrics["half_open_successes"],
        metrics["half_open_failures"],
    )


def test_pybreaker_order_trial_logged_closed_after_the_close(tmp_path, advise_json):
    """A listener reading ``cb.current_state``: the closing trial is logged ``closed``
    just after the close; a failed trial is logged ``half_open`` (pybreaker calls
    ``failure()`` before it re-opens)."""
    rows = [
        call(T0 + 1, H, "failure"),
        change(T0 + 1.0001, H, "closed", "open"),
        change(T0 + 61, H, "open", "half_open"),
        change(T0 + 61.0001, H, "half_open", "closed"),
        call(T0 + 61.0002, H, "success", "closed"),  # trial 1: first call after the close
        call(T0 + 61.5, H, "success", "closed"),  # an ordinary call, 0.5 s later
        call(T0 + 100, H, "failure"),
        change(T0 + 100.0001, H, "closed", "open"),
        change(T0 + 160, H, "open", "half_open"),
        call(T0 + 160.0001, H, "failure", "half_open"),  # trial 2, failed
        change(T0 + 160.0002, H, "half_open", "open"),
        change(T0 + 220, H, "open", "half_open"),  # a new half-open period: trial 2 is not in it
        change(T0 + 220.0001, H, "half_open", "closed"),
        call(T0 + 220.0002, H, "success", "closed"),  # trial 3
        call(T0 + 220.3, H, "success", "closed"),  # ordinary
    ]
    path = m.breaker_events(tmp_path / "m.sqlite3", rows)
    assert trials(advise_json, path) == (3, 2, 1)


def test_pybreaker_order_with_a_breaker_per_role(tmp_path, advise_json):
    """The host's breaker and its `metadata` role's own breaker (a role tuned differently;
    its events carry the role) close 0.1 ms apart, then each logs its trial `closed`.
    The host breaker's trial carries role `landing`, which has no breaker of its own.
    Each close has its own trial: 2."""
    meta = {"role": "metadata"}
    rows = [
        call(T0 + 9, H, "failure"),
        change(T0 + 10, H, "closed", "open"),
        call(T0 + 11, H, "failure", **meta),
        change(T0 + 12, H, "closed", "open", **meta),
        change(T0 + 70, H, "open", "half_open"),
        change(T0 + 70.0001, H, "open", "half_open", **meta),
        change(T0 + 70.0002, H, "half_open", "closed", **meta),
        change(T0 + 70.0003, H, "half_open", "closed"),
        call(T0 + 70.0004, H, "success", "closed", **meta),  # the metadata breaker's trial
        call(T0 + 70.0005, H, "success", "closed", role="landing"),  # the host breaker's trial
        call(T0 + 70.4, H, "success", "closed", **meta),  # ordinary
        call(T0 + 70.5, H, "success", "closed"),  # ordinary
    ]
    path = m.breaker_events(tmp_path / "m.sqlite3", rows)
    assert trials(advise_json, path) == (2, 2, 0)


def test_corrected_order_trial_logged_half_open_before_the_close(tmp_path, advise_json):
    """A listener that logs the admitting state, in time order: the trial is logged
    ``half_open`` before the close. The closed calls within 1 s after it are ordinary."""
    rows = [
        call(T0 + 9, H, "failure"),
        change(T0 + 10, H, "closed", "open"),
        change(T0 + 70, H, "open", "half_open"),
        call(T0 + 70.0001, H, "success", "half_open"),  # trial 1
        change(T0 + 70.0002, H, "half_open", "closed"),
        call(T0 + 70.3, H, "success", "closed"),  # ordinary
        call(T0 + 70.6, H, "success", "closed"),  # ordinary
        call(T0 + 100, H, "failure"),
        change(T0 + 100.0001, H, "closed", "open"),
        change(T0 + 160, H, "open", "half_open"),
        call(T0 + 160.0001, H, "failure", "half_open"),  # trial 2, failed
        change(T0 + 160.0002, H, "half_open", "open"),
        change(T0 + 220, H, "open", "half_open"),
        call(T0 + 220.0001, H, "success", "half_open"),  # trial 3
        change(T0 + 220.0002, H, "half_open", "closed"),
        call(T0 + 220.5, H, "success", "closed"),  # ordinary
    ]
    path = m.breaker_events(tmp_path / "m.sqlite3", rows)
    assert trials(advise_json, path) == (3, 2, 1)


def test_logged_trial_followed_within_a_second_by_closed_calls(tmp_path, advise_json):
    """advisor.telemetry's order: the trial is logged with the state that admitted it
    (``half_open``) but after pybreaker's close; ordinary ``closed`` calls follow within
    1 s. Second period: a virtual clock stamps the close, the trial and the next call
    with the same instant."""
    rows = [
        call(T0 + 9, H, "failure"),
        change(T0 + 10, H, "closed", "open"),
        change(T0 + 70, H, "open", "half_open"),
        change(T0 + 70.0001, H, "half_open", "closed"),
        call(T0 + 70.0002, H, "success", "half_open"),  # trial 1
        call(T0 + 70.2, H, "success", "closed"),  # ordinary
        call(T0 + 70.9, H, "success", "closed"),  # ordinary
        call(T0 + 300, H, "failure"),
        change(T0 + 300, H, "closed", "open"),
        change(T0 + 360, H, "open", "half_open"),
        change(T0 + 360, H, "half_open", "closed"),
        call(T0 + 360, H, "success", "half_open"),  # trial 2
        call(T0 + 360, H, "success", "closed"),  # ordinary, same instant
        call(T0 + 360.5, H, "success", "closed"),  # ordinary
    ]
    path = m.breaker_events(tmp_path / "m.sqlite3", rows)
    assert trials(advise_json, path) == (2, 2, 0)


def test_only_the_first_call_after_the_close_within_a_second_is_the_trial(tmp_path, advise_json):
    """pybreaker's order with trials missing from the log: after the first close the
    first call is a failure (so the success after it is ordinary); after the second the
    first call comes 1.5 s later. Neither close gets a trial; the failures and
    successes stay ordinary closed calls."""
    rows = [
        call(T0 + 9, H, "failure"),
        change(T0 + 10, H, "closed", "open"),
        change(T0 + 70, H, "open", "half_open"),
        change(T0 + 70.0001, H, "half_open", "closed"),
        call(T0 + 70.1, H, "failure", "closed"),  # the first call: not a success
        call(T0 + 70.2, H, "success", "closed"),  # within 1 s, but not the first
        call(T0 + 99, H, "failure"),
        change(T0 + 100, H, "closed", "open"),
        change(T0 + 160, H, "open", "half_open"),
        change(T0 + 160.0001, H, "half_open", "closed"),
        call(T0 + 161.5001, H, "success", "closed"),  # first, but 1.5 s after the close
    ]
    path = m.breaker_events(tmp_path / "m.sqlite3", rows)
    assert trials(advise_json, path) == (0, 0, 0)


# --- a file written by advisor.telemetry itself ----------------------------------------

YAML = """
defaults:
  fail_max: 2
  reset_timeout_s: 10
hosts:
  api.example.org:
    roles:
      metadata:
        fail_max: 1
"""


class TickingClock(VirtualClock):
    """A virtual clock that also moves 0.1 ms each time it is read, as a wall clock
    does between pybreaker's close and the listener's ``success()``."""

    __slots__ = ()

    def __call__(self) -> float:
        self.now += 0.0001
        return self.now


class Boom(Exception):
    pass


def ok() -> str:
    return "ok"


def boom() -> None:
    raise Boom("503")


@pytest.mark.parametrize("clock_class", [VirtualClock, TickingClock])
def test_file_written_by_advisor_telemetry(tmp_path, advise_json, clock_class):
    """Real pybreaker breakers, listener and writer (``BreakerRegistry``): the host's
    breaker (fail_max 2) and the `metadata` role's own breaker (fail_max 1), reset
    timeout 10 s. Half-open calls really made: host 3 (success, failure, success),
    metadata 1 (success); each successful trial is followed within 1 s by ordinary
    successes."""
    (tmp_path / "breakers.yaml").write_text(textwrap.dedent(YAML))
    clock = clock_class(T0 + 1)
    writer = ManifestWriter(tmp_path / "m.sqlite3", run_id="reg", flush_interval_s=None)
    registry = BreakerRegistry(load_config(tmp_path / "breakers.yaml", env={}), writer, clock=clock)
    host = "api.example.org"

    def step(wait: float, func, role: str | None = None) -> None:
        clock.now += wait
        with contextlib.suppress(Boom, BreakerOpenError):  # refused or failed: logged
            registry.call(host, func, role=role)

    with pybreaker_clock(clock):
        step(1, ok)
        step(1, boom)
        step(1, boom)  # host breaker opens
        step(11, ok)  # host trial 1: success, closes
        step(0.2, ok)  # ordinary
        step(0.3, ok)  # ordinary
        step(1, boom)
        step(1, boom)  # opens
        step(11, boom)  # host trial 2: failure, re-opens
        step(11, ok)  # host trial 3: success
        step(0.5, ok)  # ordinary
        step(1, boom, role="metadata")  # metadata breaker opens
        step(11, ok, role="metadata")  # metadata trial: success
        step(0.1, ok, role="metadata")  # ordinary
        step(0.1, ok, role="landing")  # the host breaker, ordinary
    writer.close()

    with sqlite3.connect(writer.path) as con:
        logged = [
            json.loads(d)["state"]
            for (d,) in con.execute(
                "SELECT details FROM breaker_events WHERE event_type IN ('success', 'failure')"
            )
        ]
    assert logged.count("half_open") == 4  # the writer logged exactly the 4 trials made
    assert trials(advise_json, writer.path, host) == (4, 3, 1)


# --- one definition of a trial -----------------------------------------------------------


def test_every_trial_count_reads_the_one_definition(tmp_path):
    """The metrics, the ``half_open_trials`` relation (episode probes, data quality) and
    the report's trial buckets agree on the corrected-order timeline of
    ``test_corrected_order...``: 3 trials, 2 successes, 1 failure, none inferred; and none
    of them spells the definition out again."""
    rows = [
        change(T0 + 10, H, "closed", "open"),
        change(T0 + 70, H, "open", "half_open"),
        call(T0 + 70.0001, H, "success", "half_open"),
        change(T0 + 70.0002, H, "half_open", "closed"),
        call(T0 + 70.3, H, "success", "closed"),
        change(T0 + 100.0001, H, "closed", "open"),
        change(T0 + 160, H, "open", "half_open"),
        call(T0 + 160.0001, H, "failure", "half_open"),
        change(T0 + 160.0002, H, "half_open", "open"),
        change(T0 + 220, H, "open", "half_open"),
        call(T0 + 220.0001, H, "success", "half_open"),
        change(T0 + 220.0002, H, "half_open", "closed"),
        call(T0 + 220.5, H, "success", "closed"),
    ]
    analysis = analyze(m.breaker_events(tmp_path / "m.sqlite3", rows), until=UNTIL)
    (result,) = analysis.hosts
    assert result.metrics["half_open_trials"] == 3
    relation = analysis.con.execute(
        "SELECT list(outcome::VARCHAR ORDER BY ts), count(*) FILTER (WHERE inferred_half_open)"
        " FROM half_open_trials"
    ).fetchone()
    assert relation == (["success", "failure", "success"], 0)
    window = analysis.window
    buckets = analysis.con.execute(
        queries.load("report/call_buckets"),
        {"start": window.start, "end": window.end, "hosts": [H], "bucket_us": 3600 * 10**6},
    ).fetchall()
    assert [(b[3], b[4]) for b in buckets] == [(2, 1)]
    for name in ("metrics/host_metrics", "metrics/half_open_trials", "report/call_buckets"):
        sql = queries.load(name)
        assert "trial" in sql and "'half_open'" not in sql, name
