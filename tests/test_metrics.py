"""Metric values against numbers worked out by hand, and against a plain-Python
second implementation on random transition sequences."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor import analyze
from tests.helpers import manifests as m
from tests.helpers.manifests import T0, call, change

H = "a.example"

# The hand-worked timeline (window [T0, T0+3600]); numbers in comments are seconds after T0.
TIMELINE = [
    call(T0 - 50, H, "failure"),  # before the window
    change(T0 - 100, H, "CLOSED", "OPEN", reset_timeout_s=60),  # open spanning the start
    change(T0 + 20, H, "OPEN", "HALF_OPEN"),
    call(T0 + 20.0001, H, "failure", "HALF_OPEN"),  # half-open trial 1: failed
    change(T0 + 20.0002, H, "HALF_OPEN", "OPEN"),  # open #1 (in window), 60 s
    change(T0 + 80.0002, H, "OPEN", "HALF_OPEN"),
    call(T0 + 80.0003, H, "success", "half_open"),  # trial 2: success
    change(T0 + 80.0004, H, "half_open", "closed"),
    call(T0 + 100, H, "failure", status=503),
    call(T0 + 101, H, "failure", status=503),
    call(T0 + 102, H, "failure", status=503),
    call(T0 + 103, H, "failure", exc_type="ReadTimeout"),
    call(T0 + 104, H, "failure"),
    change(T0 + 104, H, "closed", "open", reset_timeout_s=60),  # open #2, episode A
    call(T0 + 104.5, H, "rejected", "open"),
    call(T0 + 110, H, "rejected", "open"),
    change(T0 + 164, H, "open", "half_open"),
    change(T0 + 164.0004, H, "half_open", "closed"),  # pybreaker closes first...
    call(T0 + 164.0005, H, "success", "closed"),  # ...so the trial is logged `closed`
    call(T0 + 200, H, "success"),
    call(T0 + 201, H, "success"),
    call(T0 + 300, H, "failure", status=429, retry_after_s=30),
    call(T0 + 301, H, "failure", status=429, retry_after_s=90),
    change(T0 + 3500, H, "closed", "open"),  # open #3, episode B, censored at the end
    call(T0 + 3700, H, "success"),  # after the window
    call(T0 + 10, "B.Example ", "success"),
]

EXPECTED = {
    "calls": 12,
    "successes": 4,
    "failures": 8,
    "rejected": 2,
    "failure_rate": 8 / 12,
    "status_429": 2,
    "status_5xx": 3,
    "timeouts": 1,
    "opens": 3,
    "open_time_s": 20 + 60 + 60 + 100,
    "open_duration_s": {"p50": 60.0, "p90": 60 + 0.8 * 40, "max": 100.0},
    "episodes": 2,
    "episode_duration_s": {
        "p50": (60.0004 + 100) / 2,
        "p90": 60.0004 + 0.9 * (100 - 60.0004),
        "max": 100.0,
    },
    "half_open_trials": 3,
    "half_open_successes": 2,
    "half_open_failures": 1,
    "half_open_success_rate": 2 / 3,
    "retry_after_s": {"count": 2, "p50": 60.0, "p90": 30 + 0.9 * 60, "max": 90.0},
}


def assert_metrics(actual: dict, expected: dict) -> None:
    for key, want in expected.items():
        got = actual[key]
        if isinstance(want, dict):
            assert_metrics(got, want)
        elif isinstance(want, float):
            assert got == pytest.approx(want, abs=1e-6), key
        else:
            assert got == want, key


def hosts_by_name(report: dict) -> dict[str, dict]:
    return {h["host"]: h["metrics"] for h in report["hosts"]}


def test_hand_worked_timeline(tmp_path, advise_json):
    path = m.breaker_events(tmp_path / "manifest.sqlite3", TIMELINE)
    report = advise_json(path, until=str(T0 + 3600))
    metrics = hosts_by_name(report)
    assert_metrics(metrics[H], EXPECTED)
    assert report["window"] == {
        "start": "2026-01-15T08:00:00Z",
        "end": "2026-01-15T09:00:00Z",
        "seconds": 3600,
    }
    assert report["hosts"][0]["current"]["reset_timeout_s"] == 60
    assert report["hosts"][0]["current_origin"]["reset_timeout_s"] == "inferred"


def test_host_without_transitions_has_null_percentiles(tmp_path, advise_json):
    path = m.breaker_events(tmp_path / "manifest.sqlite3", TIMELINE)
    b = hosts_by_name(advise_json(path, until=str(T0 + 3600)))["b.example"]
    assert (b["calls"], b["opens"], b["open_time_s"], b["episodes"]) == (1, 0, 0.0, 0)
    assert b["open_duration_s"] == {"p50": None, "p90": None, "max": None}
    assert b["half_open_success_rate"] is None


def test_host_filter_is_case_insensitive(tmp_path, advise_json):
    path = m.breaker_events(tmp_path / "manifest.sqlite3", TIMELINE)
    report = advise_json(path, "--host", " B.EXAMPLE", until=str(T0 + 3600))
    assert [h["host"] for h in report["hosts"]] == ["b.example"]


def test_window_end_inside_an_open_censors_it(tmp_path, advise_json):
    """Window [T0+90, T0+134]: open #2 starts at 104 and is cut at 134 (30 s)."""
    path = m.breaker_events(tmp_path / "manifest.sqlite3", TIMELINE)
    metrics = hosts_by_name(advise_json(path, until=str(T0 + 134), window_s=44))[H]
    assert metrics["opens"] == 1
    assert metrics["open_time_s"] == pytest.approx(30)
    assert metrics["open_duration_s"]["max"] == pytest.approx(30)
    assert metrics["episodes"] == 1
    assert metrics["episode_duration_s"]["max"] == pytest.approx(30)


def test_open_spanning_the_window_start_counts_only_inside(tmp_path, advise_json):
    """Window [T0+130, T0+140] lies inside open #2: no opens, 10 s of open time."""
    path = m.breaker_events(tmp_path / "manifest.sqlite3", TIMELINE)
    metrics = hosts_by_name(advise_json(path, until=str(T0 + 140), window_s=10))[H]
    assert (metrics["opens"], metrics["episodes"]) == (0, 0)
    assert metrics["open_time_s"] == pytest.approx(10)
    assert metrics["open_duration_s"]["p50"] is None


def test_until_latest_is_the_newest_event(tmp_path, advise_json):
    path = m.breaker_events(tmp_path / "manifest.sqlite3", TIMELINE)
    report = advise_json(path, until="latest", window_s=100)
    assert report["window"]["end"] == "2026-01-15T09:01:40Z"  # T0 + 3700


def test_http_events_and_breaker_transitions_layouts_give_the_same_metrics(tmp_path, advise_json):
    """The same timeline split into http_events (calls) and breaker_transitions, with
    other timestamp encodings (epoch ms, Julian day, ISO text) and state spellings."""
    calls, transitions = [], []
    spellings = {"open": "CircuitOpenState", "half_open": "half-open", "closed": "CLOSED"}
    for i, (ts, host, etype, d) in enumerate(TIMELINE):
        encodings = [ts * 1000, datetime.fromtimestamp(ts, UTC).isoformat(), ts]
        stamp = encodings[i % 3]
        if etype == "state_change":
            old, new = d["old_state"].lower(), d["new_state"].lower()
            transitions.append(
                (
                    "run-1",
                    stamp,
                    host,
                    "host",
                    spellings[old],
                    spellings[new],
                    d.get("reset_timeout_s"),
                )
            )
        else:
            row = {
                "run_id": "run-1",
                "ts": stamp,
                "host": host,
                "status": d.get("status"),
                "retry_after_s": d.get("retry_after_s"),
                "error": d.get("exc_type"),
                "breaker_state": d["state"],
                "breaker_recorded": etype if etype != "rejected" else "none",
                "from_cache": 0,
            }
            if etype == "rejected":
                row["error"] = "CircuitBreakerError: breaker open"
            calls.append(row)
    calls.append({"ts": T0 + 5, "host": H, "breaker_recorded": "success", "from_cache": 1})
    calls.append({"ts": T0 + 6, "host": H, "breaker_recorded": "none", "status": 304})
    m.http_events(tmp_path / "calls.db", calls)
    m.breaker_transitions(tmp_path / "transitions.sqlite", transitions)
    metrics = hosts_by_name(advise_json(tmp_path, until=str(T0 + 3600)))[H]
    expected = dict(EXPECTED, calls=EXPECTED["calls"] + 1)  # the 304 is a neutral call
    assert_metrics(metrics, expected)


def test_an_open_left_by_a_run_that_stopped_ends_with_the_run(tmp_path, advise_json):
    """Two back-to-back runs: run 1 stops with its breaker open at T0+100 (last event
    T0+130); run 2 starts later. Run 1's open lasts 30 s, not to the window end."""
    rows = [
        change(T0 + 100, H, "closed", "open", run_id="r1"),
        call(T0 + 130, H, "rejected", "open", run_id="r1"),
        call(T0 + 500, H, "success", run_id="r2"),
    ]
    metrics = hosts_by_name(
        advise_json(m.breaker_events(tmp_path / "r.db", rows), until=str(T0 + 3600))
    )
    assert metrics[H]["open_time_s"] == pytest.approx(30)
    assert metrics[H]["open_duration_s"]["max"] == pytest.approx(30)
    assert metrics[H]["episode_duration_s"]["max"] == pytest.approx(30)


def test_julian_day_timestamps(tmp_path, advise_json):
    def jd(ts: float) -> float:
        return ts / 86400.0 + 2440587.5

    rows = [
        change(jd(T0 + 10), H, "closed", "open"),
        change(jd(T0 + 70), H, "open", "half_open"),
        change(jd(T0 + 70.5), H, "half_open", "closed"),
    ]
    metrics = hosts_by_name(
        advise_json(m.breaker_events(tmp_path / "j.db", rows), until=str(T0 + 100))
    )
    assert metrics[H]["open_time_s"] == pytest.approx(60, abs=1e-3)  # a double's JD resolution


def test_state_transitions_layout(tmp_path, advise_json):
    """The seed's breaker_state_transitions: one row per stay in a state."""
    rows = [
        (H, "OPEN", "HALF_OPEN", T0 + 10, T0 + 70),
        (H, "HALF_OPEN", "OPEN", T0 + 70, T0 + 70.5),
        (H, "OPEN", "HALF_OPEN", T0 + 70.5, T0 + 130.5),
        (H, "HALF_OPEN", "CLOSED", T0 + 130.5, T0 + 131),
        (H, "OPEN", None, T0 + 500, None),  # still open
    ]
    metrics = hosts_by_name(
        advise_json(m.state_transitions(tmp_path / "s.db", rows), until=str(T0 + 600))
    )[H]
    assert metrics["opens"] == 3
    assert metrics["open_time_s"] == pytest.approx(60 + 60 + 100)
    assert metrics["episodes"] == 2
    assert metrics["episode_duration_s"]["p50"] == pytest.approx((121 + 100) / 2)


# --- a second, plain-Python implementation on random sequences -----------------------

NEXT = {"closed": ["open"], "open": ["half_open"], "half_open": ["open", "closed"]}


@st.composite
def transition_sequences(draw):
    state, t, rows = draw(st.sampled_from(["closed", "open"])), 0.0, []
    for _ in range(draw(st.integers(0, 25))):
        t += draw(st.integers(1, 400))
        new = draw(st.sampled_from(NEXT[state]))
        rows.append((t, state, new))
        state = new
    return rows


def reference(rows, start, end):
    """Opens, open time, open durations and episodes by walking the list (transitions
    only: nothing shows the run stopped, so an open nothing follows lasts to ``end``)."""
    opens, open_time, durations, episodes = 0, 0.0, [], []
    run_end = end
    for i, (t, old, new) in enumerate(rows):
        if t > end:
            break
        nxt = rows[i + 1][0] if i + 1 < len(rows) and rows[i + 1][0] <= end else None
        if new == "open":
            stop = nxt if nxt is not None else run_end
            if stop > start:
                open_time += stop - max(t, start)
            if t >= start:
                opens += 1
                durations.append(stop - t)
            if old == "closed" and t >= start:
                close = next(
                    (r[0] for r in rows[i + 1 :] if r[2] == "closed" and r[0] <= end), None
                )
                episodes.append((close if close is not None else run_end) - t)
    return opens, open_time, sorted(durations), sorted(episodes)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=transition_sequences(), start=st.integers(0, 3000), length=st.integers(1, 6000))
def test_open_metrics_match_a_simple_walk(tmp_path_factory, rows, start, length):
    path = tmp_path_factory.mktemp("h") / "m.sqlite3"
    m.breaker_events(path, [change(T0 + t, H, old, new) for t, old, new in rows])
    analysis = analyze(path, window_s=length, until=T0 + start + length)
    opens, open_time, durations, episodes = reference(rows, start, start + length)
    metrics = {h.host: h.metrics for h in analysis.hosts}.get(H)
    if metrics is None:
        assert opens == 0 and open_time == 0 and not episodes
        return
    got = (
        analysis.con.execute(
            "SELECT list(duration_s ORDER BY duration_s) FROM open_intervals WHERE in_window"
        ).fetchone()[0]
        or []
    )
    assert metrics["opens"] == opens
    assert metrics["open_time_s"] == pytest.approx(open_time)
    assert got == pytest.approx(durations)
    eps = analysis.con.execute(
        "SELECT list(duration_s ORDER BY duration_s) FROM episodes"
    ).fetchone()[0]
    assert (eps or []) == pytest.approx(episodes)


def test_sqlite_reader_sees_same_rows(tmp_path):
    """Sanity: the fixture builder writes what it is given (guards the other tests)."""
    path = m.breaker_events(tmp_path / "x.db", TIMELINE)
    assert sqlite3.connect(path).execute("SELECT count(*) FROM breaker_events").fetchone()[
        0
    ] == len(TIMELINE)


# --- host names: all surrounding whitespace removed, case-folded, in every layout -------

WRAPPED = [  # the same host as producers have written it
    "doi.org",
    "doi.org\t",
    "\nDOI.org",
    "\u00a0doi.org\u00a0",  # NBSP
    " Doi.Org\r\n",
    "\u2003doi.org\u3000",  # em space, ideographic space
]


def _wrapped_breaker_events(path):
    """Six calls (4 successes, 2 failures) and one open, each under another spelling."""
    outcomes = ["success", "success", "failure", "success", "failure", "success"]
    rows = [call(T0 + i, h, o) for i, (h, o) in enumerate(zip(WRAPPED, outcomes, strict=True))]
    rows.append(change(T0 + 10, "doi.org\x0b", "closed", "open"))  # vertical tab
    return m.breaker_events(path, rows), {"calls": 6, "successes": 4, "failures": 2, "opens": 1}


def _wrapped_http_events(path):
    """Columns declared as a producer would (an undeclared column reaches DuckDB as a
    BLOB, whose decoding as text is the reader's business, not the host's)."""
    recorded = ["success", "success", "failure", "success", "failure", "none"]
    con = sqlite3.connect(path)
    con.execute(
        "CREATE TABLE http_events (run_id TEXT, ts REAL, host TEXT, role TEXT, status INTEGER,"
        " from_cache INTEGER, retry_after_s REAL, breaker_state TEXT, breaker_recorded TEXT,"
        " elapsed_ms REAL, error TEXT)"
    )
    con.executemany(
        "INSERT INTO http_events (run_id, ts, host, breaker_recorded, from_cache)"
        " VALUES ('r', ?, ?, ?, 0)",
        [(T0 + i, h, r) for i, (h, r) in enumerate(zip(WRAPPED, recorded, strict=True))],
    )
    con.commit()
    con.close()
    return path, {"calls": 6, "successes": 3, "failures": 2, "opens": 0}


def _wrapped_breaker_transitions(path):
    """closed -> open at 10, half_open at 70, closed at 70.5: one open of 60 s and one
    episode of 60.5 s, each transition under another spelling."""
    rows = [
        ("r", T0 + 10, "doi.org\t", "host", "closed", "open", 60),
        ("r", T0 + 70, "\u00a0DOI.org", "host", "open", "half_open", 60),
        ("r", T0 + 70.5, "doi.org\n", "host", "half_open", "closed", 60),
    ]
    return m.breaker_transitions(path, rows), {
        "opens": 1,
        "open_time_s": 60.0,
        "episodes": 1,
        "episode_duration_s": {"max": 60.5},
    }


def _wrapped_state_transitions(path):
    """Open from 10 to 70, half-open until 70.5, then closed: the two rows chain into one
    open of 60 s and one episode of 60.5 s only once their hosts are the same."""
    rows = [
        ("doi.org\t", "OPEN", "HALF_OPEN", T0 + 10, T0 + 70),
        ("\u00a0DOI.org\n", "HALF_OPEN", "CLOSED", T0 + 70, T0 + 70.5),
    ]
    return m.state_transitions(path, rows), {
        "opens": 1,
        "open_time_s": 60.0,
        "episodes": 1,
        "episode_duration_s": {"max": 60.5},
    }


@pytest.mark.parametrize(
    "build",
    [
        _wrapped_breaker_events,
        _wrapped_http_events,
        _wrapped_breaker_transitions,
        _wrapped_state_transitions,
    ],
    ids=["breaker_events", "http_events", "breaker_transitions", "breaker_state_transitions"],
)
def test_hosts_lose_surrounding_whitespace_in_every_layout(tmp_path, advise_json, build):
    path, expected = build(tmp_path / "w.sqlite3")
    report = advise_json(path, until=str(T0 + 100), window_s=100)
    assert [h["host"] for h in report["hosts"]] == ["doi.org"]
    assert report["sources"][0]["skipped"] == 0
    assert_metrics(report["hosts"][0]["metrics"], expected)
