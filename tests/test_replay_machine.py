"""The replay's state machine against the real thing: for random outcome sequences and
arrival times, it makes exactly the transitions real pybreaker makes (and refuses exactly
the calls it refuses) on the same calls under a controlled clock; with Retry-After
cooldowns, exactly what the runtime's BreakerRegistry does."""

from __future__ import annotations

import itertools

import numpy as np
import pybreaker
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from advisor.advice.replay.machine import run_breaker, run_breakers
from advisor.advice.replay.timeline import FAIL, NEUTRAL, OK, Run
from advisor.config import load_config
from advisor.errors import BreakerOpenError
from advisor.simulate import SimulatedHTTPError, VirtualClock, pybreaker_clock
from advisor.telemetry import BreakerRegistry, InMemoryCooldownStore, ManifestWriter
from tests.helpers.manifests import T0

MS = 1000  # microseconds


class Boom(Exception):
    """The guarded call failed."""


class Recorder(pybreaker.CircuitBreakerListener):
    """Notes each transition with the index of the call that caused it."""

    def __init__(self) -> None:
        self.index = -1
        self.log: list[tuple[int, str, str]] = []

    def state_change(self, cb, old_state, new_state) -> None:
        names = {"closed": "closed", "open": "open", "half-open": "half_open"}
        self.log.append((self.index, names[old_state.name], names[new_state.name]))


def expected_refused(log: list[tuple[int, str, str]], n: int) -> list[int]:
    """Calls the replay refused: after each open, up to the call that half-opened it."""
    refused: list[int] = []
    for i, (index, _old, new) in enumerate(log):
        if new == "open":
            following = log[i + 1][0] if i + 1 < len(log) else n
            refused.extend(range(index + 1, following))
    return refused


def replay_log(gaps_ms, outcomes, ra_ms, fail_max, reset_ms, threshold, cap_ms=0):
    t = np.cumsum(np.asarray(gaps_ms, np.int64)) * MS
    run = Run(t, np.asarray(outcomes, np.int8), np.asarray(ra_ms, np.int64) * MS)
    log: list[tuple[int, str, str]] = []
    counts = run_breaker(run, fail_max, reset_ms * MS, threshold, cap_ms * MS, log)
    return log, counts


calls = st.lists(
    st.tuples(st.integers(0, 3000), st.sampled_from([OK, FAIL, FAIL])), min_size=1, max_size=80
)


@settings(max_examples=300, deadline=None)
@given(
    calls=calls,
    fail_max=st.integers(1, 5),
    reset_ms=st.integers(0, 8000),
    threshold=st.integers(1, 3),
)
def test_transitions_match_pybreaker(calls, fail_max, reset_ms, threshold):
    gaps = [g for g, _ in calls]
    outcomes = [o for _, o in calls]
    clock = VirtualClock(T0)
    recorder = Recorder()
    breaker = pybreaker.CircuitBreaker(
        fail_max=fail_max,
        reset_timeout=reset_ms / 1000,
        success_threshold=threshold,
        listeners=[recorder],
        throw_new_error_on_trip=False,
    )
    refused = []
    elapsed_ms = 0
    with pybreaker_clock(clock):
        for index, (gap, outcome) in enumerate(calls):
            elapsed_ms += gap
            clock.now = T0 + elapsed_ms / 1000
            recorder.index = index

            def guarded(outcome=outcome):
                if outcome == FAIL:
                    raise Boom()

            try:
                breaker.call(guarded)
            except pybreaker.CircuitBreakerError:
                refused.append(index)
            except Boom:
                pass
    log, counts = replay_log(gaps, outcomes, [0] * len(gaps), fail_max, reset_ms, threshold)
    assert log == recorder.log
    assert expected_refused(log, len(calls)) == refused
    assert counts.opens == sum(1 for _, _, new in log if new == "open")
    assert counts.refused_ok + counts.refused_fail == len(refused)
    assert counts.refused_ok == sum(1 for i in refused if outcomes[i] == OK)


_hosts = itertools.count()


@pytest.fixture(scope="module")
def writer(tmp_path_factory):
    path = tmp_path_factory.mktemp("registry") / "manifest.sqlite3"
    w = ManifestWriter(path, run_id="diff", batch_size=100_000, flush_interval_s=None)
    yield w
    w.close()


TICK_US = 15_625  # 1/64 s: exact in binary floating point, so the registry's float
# deadlines (now + Retry-After) compare exactly like the replay's integer microseconds


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    calls=st.lists(
        st.tuples(
            st.integers(0, 200),  # ticks of 1/64 s
            st.sampled_from([OK, FAIL, FAIL]),
            st.sampled_from([0, 0, 1, 4, 9]),  # Retry-After seconds on a failure
        ),
        min_size=1,
        max_size=60,
    ),
    fail_max=st.integers(1, 4),
    reset_ticks=st.integers(1, 400),
    threshold=st.integers(1, 2),
    cap_s=st.sampled_from([1, 2, 5]),
)
@example(  # failures refused under a cooldown never reach the breaker's counter
    calls=[(0, FAIL, 4), (10, FAIL, 0), (10, FAIL, 0), (250, FAIL, 4), (300, FAIL, 0), (10, OK, 0)],
    fail_max=3,
    reset_ticks=640,
    threshold=1,
    cap_s=5,
)
def test_cooldowns_match_the_registry(writer, calls, fail_max, reset_ticks, threshold, cap_s):
    host = f"h{next(_hosts)}.example"
    reset_s = reset_ticks * TICK_US / 1e6
    spec = f"fail_max:{fail_max},reset:{reset_s},success_threshold:{threshold}"
    config = load_config(None, env={}, defaults_override=f"{spec},retry_after_cap:{cap_s}")
    clock = VirtualClock(T0)
    registry = BreakerRegistry(config, writer, InMemoryCooldownStore(), clock=clock)
    recorder = Recorder()
    registry.breaker(host).add_listener(recorder)
    refused, ticks = [], 0
    with pybreaker_clock(clock):
        for index, (gap, outcome, ra) in enumerate(calls):
            ticks += gap
            clock.now = T0 + ticks * TICK_US / 1e6
            recorder.index = index

            def guarded(outcome=outcome, ra=ra):
                if outcome == FAIL:
                    raise SimulatedHTTPError(429 if ra else 503, float(ra) if ra else None)

            try:
                registry.call(host, guarded)
            except BreakerOpenError:
                refused.append(index)
            except SimulatedHTTPError:
                pass
    outcomes = [o for _, o, _ in calls]
    t = np.cumsum(np.asarray([g for g, _, _ in calls], np.int64)) * TICK_US
    ra_us = np.asarray([ra * 1_000_000 if o == FAIL else 0 for _, o, ra in calls], np.int64)
    run = Run(t, np.asarray(outcomes, np.int8), ra_us)
    log: list[tuple[int, str, str]] = []
    counts = run_breaker(run, fail_max, reset_ticks * TICK_US, threshold, cap_s * 1_000_000, log)
    assert log == recorder.log
    assert counts.refused_ok + counts.refused_fail == len(refused)
    assert counts.refused_ok == sum(1 for i in refused if outcomes[i] == OK)


def test_neutral_calls_change_nothing():
    """A neutral call between failures neither resets nor counts: the streak goes on."""
    log, _ = replay_log([1, 1, 1, 1], [FAIL, NEUTRAL, FAIL, OK], [0] * 4, 2, 10_000, 1)
    assert log == [(2, "closed", "open")]


call = st.tuples(
    st.integers(0, 3000),  # ms since the previous call
    st.sampled_from([OK, OK, OK, FAIL, FAIL, NEUTRAL]),
    st.sampled_from([0, 0, 0, 0, 500, 4000]),  # Retry-After ms on a failure
    st.booleans(),  # whether the host was up
)


@settings(max_examples=300, deadline=None)
@given(
    base=st.lists(call, min_size=1, max_size=200),
    changes=st.lists(
        st.lists(st.tuples(st.integers(0, 199), call), max_size=10), min_size=1, max_size=4
    ),
    warmup=st.integers(0, 20),
    fail_max=st.integers(1, 5),
    reset_ms=st.integers(0, 5000),
    threshold=st.integers(1, 3),
    cap_ms=st.sampled_from([0, 1000, 3000]),
)
def test_variants_replayed_together_count_as_one_by_one(
    base, changes, warmup, fail_max, reset_ms, threshold, cap_ms
):
    """``run_breakers`` over runs differing at a few arrivals (another imputed health)
    counts exactly what ``run_breaker`` counts on each of them alone."""
    t = np.cumsum(np.asarray([g for g, *_ in base], np.int64)) * MS
    t -= t[min(warmup, t.size - 1)]  # calls before the first counted one: a warm-up

    def make(calls):
        outcome = np.asarray([c[1] for c in calls], np.int8)
        ra = np.asarray([c[2] * MS for c in calls], np.int64)
        return Run(t, outcome, ra, np.asarray([c[3] for c in calls], bool))

    variants = [list(base)]
    for edits in changes:
        calls = list(base)
        for at, (_gap, outcome, ra, up) in edits:
            if at < len(calls):
                calls[at] = (calls[at][0], outcome, ra, up)  # same arrival time
        variants.append(calls)
    runs = [make(calls) for calls in variants]
    differ = [runs[0].differences(run) for run in runs]
    knobs = (fail_max, reset_ms * MS, threshold, cap_ms * MS)
    together = run_breakers(runs, differ, *knobs)
    assert together == [run_breaker(run, *knobs) for run in runs]


def test_variants_differing_in_several_places():
    """Two outages, each imputed differently: the variant is back in step after the
    first and must still be replayed over the second."""
    outcome = np.full(120, OK, np.int8)
    outcome[[10, 11, 12, 13, 70, 71, 72, 73, 74]] = FAIL
    t = np.arange(120, dtype=np.int64) * 1000 * MS
    runs = [Run(t, outcome, np.zeros(120, np.int64))]
    for ends in ((14, 75), (12, 78), (16, 72)):
        changed = outcome.copy()
        changed[10 : ends[0]] = FAIL
        changed[ends[0] : 20] = OK
        changed[70 : ends[1]] = FAIL
        changed[ends[1] : 80] = OK
        runs.append(Run(t, changed, np.zeros(120, np.int64)))
    differ = [runs[0].differences(run) for run in runs]
    for knobs in ((2, 3000 * MS, 1, 0), (3, 1500 * MS, 2, 0), (1, 500 * MS, 1, 0)):
        assert run_breakers(runs, differ, *knobs) == [run_breaker(run, *knobs) for run in runs]
