"""TelemetryListener against real pybreaker breakers on a controlled clock: it records
exactly the transitions pybreaker makes, and the state that admitted each call."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from email.utils import format_datetime
from types import SimpleNamespace

import pybreaker
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.simulate import VirtualClock, pybreaker_clock
from advisor.telemetry import ManifestWriter, TelemetryListener, http_details, state_name
from tests.helpers.manifests import T0

HOST = "api.example.org"
RETRY_7 = {"Retry-After": "7"}


class Boom(Exception):
    pass


def ok() -> str:
    return "ok"


def boom() -> None:
    raise Boom("server said no")


class ListWriter:
    """Collects what the listener writes (a stand-in with the writer's fast-path API)."""

    run_id = "t"
    run_id_json = '"t"'

    def __init__(self) -> None:
        self.rows: list[tuple[float, str, str, dict]] = []

    def record_encoded(self, ts: float, host: str, event_type: str, details_json: str) -> None:
        self.rows.append((ts, host, event_type, json.loads(details_json)))


def drive(breaker, listener, clock, script, count=lambda: 0, begin=True):
    """Run (seconds to wait, 'ok'|'fail') steps.

    Returns per step: (outcome, state after, count() after, state seen inside the call).
    """
    seen = []
    with pybreaker_clock(clock):
        for wait, action in script:
            clock.now += wait
            inside = []

            def work(action=action, inside=inside):
                inside.append(state_name(breaker.current_state))  # the admitting state
                if action == "fail":
                    raise Boom("server said no")
                return "ok"

            if begin:
                listener.begin()
            try:
                breaker.call(work)
                outcome = "success"
            except Boom:
                outcome = "failure"
            except pybreaker.CircuitBreakerError:
                outcome = "refused"
            seen.append((outcome, state_name(breaker.current_state), count(), inside))
    return seen


def transitions(rows):
    return [(d["old_state"], d["new_state"]) for _, _, kind, d in rows if kind == "state_change"]


SCRIPT = [
    (0, "ok"),  # closed
    (1, "fail"),
    (1, "fail"),  # fail_max 2: opens
    (1, "ok"),  # refused: reset timeout (10 s) not elapsed
    (10, "ok"),  # half-open trial succeeds -> closed
    (1, "fail"),
    (1, "fail"),  # opens again
    (11, "fail"),  # half-open trial fails -> open
    (11, "ok"),  # trial succeeds -> closed
    (1, "ok"),
]


def test_scripted_sequence_against_the_real_writer(tmp_path):
    clock = VirtualClock(T0)
    path = tmp_path / "m.sqlite3"
    writer = ManifestWriter(path, run_id="script", flush_interval_s=None)
    listener = TelemetryListener(HOST, writer, clock=clock)
    breaker = pybreaker.CircuitBreaker(
        fail_max=2, reset_timeout=10, listeners=[listener], throw_new_error_on_trip=False
    )
    seen = drive(breaker, listener, clock, SCRIPT)
    writer.close()
    with sqlite3.connect(path) as con:
        stored = [
            (ts, host, kind, json.loads(details))
            for ts, host, kind, details in con.execute(
                "SELECT ts, host, event_type, details FROM breaker_events ORDER BY id"
            )
        ]

    # what pybreaker did, step by step
    assert [step[1] for step in seen] == [
        "closed", "closed", "open", "open", "closed", "closed", "open", "open", "closed", "closed",
    ]  # fmt: skip
    # exactly those transitions, in order, with the breaker's reset timeout
    assert transitions(stored) == [
        ("closed", "open"),
        ("open", "half_open"),
        ("half_open", "closed"),
        ("closed", "open"),
        ("open", "half_open"),
        ("half_open", "open"),
        ("open", "half_open"),
        ("half_open", "closed"),
    ]
    assert {d["reset_timeout_s"] for _, _, k, d in stored if k == "state_change"} == {10}
    # calls: the admitting state, half-open trials included; the refused call is absent
    calls = [(kind, d["state"]) for _, _, kind, d in stored if kind != "state_change"]
    assert calls == [
        ("success", "closed"),
        ("failure", "closed"),
        ("failure", "closed"),
        ("success", "half_open"),  # pybreaker closed the breaker before telling listeners
        ("failure", "closed"),
        ("failure", "closed"),
        ("failure", "half_open"),
        ("success", "half_open"),
        ("success", "closed"),
    ]
    assert [state for *_, inside in seen for state in inside] == [c[1] for c in calls]
    # timestamps come from the controlled clock; every row carries the run id
    assert stored[0][0] == T0
    assert {d["run_id"] for *_, d in stored} == {"script"}
    failure = next(d for _, _, kind, d in stored if kind == "failure")
    assert failure["exc_type"] == "Boom"
    assert failure["elapsed_ms"] == 0.0


def test_plain_pybreaker_with_the_listener_added(tmp_path):
    """The two-line integration: no registry, the listener added to an existing breaker."""
    clock = VirtualClock(T0)
    writer = ListWriter()
    breaker = pybreaker.CircuitBreaker(fail_max=1, reset_timeout=5)
    listener = TelemetryListener(HOST, writer, clock=clock)
    breaker.add_listener(listener)
    drive(breaker, listener, clock, [(0, "fail"), (1, "ok"), (5, "ok")], begin=False)
    assert [(kind, d.get("state"), d.get("new_state")) for _, _, kind, d in writer.rows] == [
        ("failure", "closed", None),
        ("state_change", None, "open"),
        ("state_change", None, "half_open"),
        ("state_change", None, "closed"),
        ("success", "half_open", None),
    ]


def test_the_trap_the_listener_avoids():
    """pybreaker's own current_state at success() time is already `closed` for a trial."""
    clock = VirtualClock(T0)
    seen_by_naive = []

    class Naive(pybreaker.CircuitBreakerListener):
        def success(self, cb):
            seen_by_naive.append(state_name(cb.current_state))

    writer = ListWriter()
    listener = TelemetryListener(HOST, writer, clock=clock)
    breaker = pybreaker.CircuitBreaker(
        fail_max=1, reset_timeout=5, listeners=[Naive(), listener], throw_new_error_on_trip=False
    )
    drive(breaker, listener, clock, [(0, "fail"), (6, "ok")])
    assert seen_by_naive == ["closed"]
    assert [d["state"] for _, _, kind, d in writer.rows if kind == "success"] == ["half_open"]


@settings(max_examples=60, deadline=None)
@given(
    fail_max=st.integers(1, 4),
    success_threshold=st.integers(1, 3),
    steps=st.lists(
        st.tuples(st.sampled_from([0.5, 2.0, 7.0]), st.sampled_from(["ok", "fail"])),
        min_size=1,
        max_size=40,
    ),
)
def test_recorded_events_follow_pybreaker(fail_max, success_threshold, steps):
    clock = VirtualClock(T0)
    writer = ListWriter()
    listener = TelemetryListener(HOST, writer, clock=clock)
    breaker = pybreaker.CircuitBreaker(
        fail_max=fail_max,
        reset_timeout=5,
        success_threshold=success_threshold,
        listeners=[listener],
        throw_new_error_on_trip=False,
    )
    seen = drive(breaker, listener, clock, steps, count=lambda: len(writer.rows))

    state, done = "closed", 0
    for outcome, after, upto, inside in seen:
        rows = writer.rows[done:upto]
        done = upto
        # replaying the step's recorded transitions gives pybreaker's state after it
        for old, new in transitions(rows):
            assert old == state
            state = new
        assert state == after
        # one call row per call that ran, with the state that admitted it
        calls = [(kind, d["state"]) for _, _, kind, d in rows if kind != "state_change"]
        if outcome == "refused":
            assert calls == [] and inside == []
        else:
            assert calls == [(outcome, inside[0])]


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (SimpleNamespace(status=503), (503, None)),
        (SimpleNamespace(status_code=429, retry_after=30), (429, 30.0)),
        (SimpleNamespace(status_code="429", retry_after_s="12.5"), (429, 12.5)),
        (
            SimpleNamespace(
                response=SimpleNamespace(status_code=429, headers={"Retry-After": "7"})
            ),
            (429, 7.0),
        ),
        (SimpleNamespace(response=SimpleNamespace(status=502, headers={})), (502, None)),
        (TimeoutError("slow"), (None, None)),
        (SimpleNamespace(status=True, retry_after=-3), (None, None)),
    ],
)
def test_http_details(exc, expected):
    assert http_details(exc, now=T0) == expected


def test_http_details_reads_a_retry_after_date():
    when = datetime.fromtimestamp(T0 + 120, UTC)
    response = SimpleNamespace(
        status_code=503, headers={"Retry-After": format_datetime(when, True)}
    )
    assert http_details(SimpleNamespace(response=response), now=T0) == (503, 120.0)


def test_a_write_error_never_breaks_the_call(tmp_path, caplog):
    writer = ManifestWriter(tmp_path / "m.sqlite3", flush_interval_s=None)
    writer.close()
    listener = TelemetryListener(HOST, writer)
    breaker = pybreaker.CircuitBreaker(listeners=[listener])
    assert breaker.call(ok) == "ok"
    assert "not written" in caplog.text
