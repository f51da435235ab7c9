"""Seed-compatible telemetry (issue 17, item 1): the deployment guide's monitoring SQL run
with sqlite3 on a manifest our writer produced agrees with the advisor's own numbers.

Queries 2 and 3 are the guide's text verbatim; query 1 is the guide's with ``1/24``
corrected to ``1.0/24`` (SQLite's ``1/24`` is integer division: 0). The expected values
are also counted by hand from the scripted calls, so neither side checks only the other.
"""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from advisor import analyze
from advisor.config import BreakerConfig, load_config
from advisor.errors import BreakerOpenError
from advisor.simulate import VirtualClock, pybreaker_clock
from advisor.telemetry import BreakerRegistry, ManifestWriter

QUERY_1_CORRECTED = """
SELECT host, COUNT(*) as opens
FROM breaker_events
WHERE event_type = 'state_change'
  AND details LIKE '%"new_state":"OPEN"%'
  AND ts > (julianday('now') - 1.0/24)
GROUP BY host
ORDER BY opens DESC;
"""
QUERY_1_AS_IN_THE_GUIDE = QUERY_1_CORRECTED.replace("1.0/24", "1/24")
QUERY_2 = """
-- Average open duration
SELECT host, AVG(duration_s) as avg_duration_s
FROM (
  SELECT host,
         (close_ts - open_ts) as duration_s
  FROM breaker_state_transitions
  WHERE old_state = 'OPEN'
) t
GROUP BY host;
"""
QUERY_3 = """
-- Half-open success rate
SELECT host,
       SUM(CASE WHEN event_type='success' THEN 1 ELSE 0 END) as successes,
       SUM(CASE WHEN event_type='failure' THEN 1 ELSE 0 END) as failures
FROM breaker_events
WHERE details LIKE '%"state":"HALF_OPEN"%'
GROUP BY host;
"""

HOST = "api.example.org"
CALM = "calm.example.org"


class Down(Exception):
    pass


def ok() -> str:
    return "ok"


def down() -> None:
    raise Down("503")


def outage(registry: BreakerRegistry, clock: VirtualClock, start: float, trials: list[bool]):
    """Two failures open the breaker (fail_max 2); after each reset timeout (30 s) one
    trial: False fails it (open again), True closes it."""
    clock.now = start
    for _ in range(2):
        with pytest.raises(Down):
            registry.call(HOST, down)
        clock.now += 1
    with pytest.raises(BreakerOpenError):
        registry.call(HOST, ok)  # refused while open
    for good in trials:
        clock.now += 31
        if good:
            registry.call(HOST, ok)
        else:
            with pytest.raises(Down):
                registry.call(HOST, down)


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    path = tmp_path_factory.mktemp("seed") / "manifest.sqlite3"
    yaml = tmp_path_factory.mktemp("cfg") / "breakers.yaml"
    yaml.write_text("defaults:\n  fail_max: 2\n  reset_timeout_s: 30\n")
    now = time.time()
    clock = VirtualClock(now - 7200)
    with ManifestWriter(path, run_id="seed", seed_compatible=True) as writer:
        registry = BreakerRegistry(load_config(yaml, env={}), writer, clock=clock)
        with pybreaker_clock(clock):
            # before the last hour: one outage (opens 2: one failed trial), open 32 + 31 s
            outage(registry, clock, now - 6000, [False, True])
            # in the last hour: two outages (opens 1 + 3), opens of 32, 31, 31, 31 s
            outage(registry, clock, now - 1800, [True])
            outage(registry, clock, now - 900, [False, False, True])
            for step in range(5):  # a healthy host: calls, never opens
                clock.now = now - 3000 + step * 400
                registry.call(CALM, ok)
                registry.call(HOST, ok)
    return path


def sql(path, query):
    with sqlite3.connect(path) as con:
        return con.execute(query).fetchall()


def test_the_writer_stores_julian_days_upper_case_states_and_the_view(manifest):
    ts, details = sql(
        manifest,
        "SELECT ts, details FROM breaker_events WHERE event_type = 'state_change' LIMIT 1",
    )[0]
    assert 2_400_000 < ts < 2_600_000  # a Julian day, not epoch seconds
    assert json.loads(details)["new_state"] == "OPEN"
    kinds = dict(sql(manifest, "SELECT name, type FROM sqlite_master WHERE name LIKE 'breaker%'"))
    assert kinds["breaker_events"] == "table" and kinds["breaker_state_transitions"] == "view"


def test_the_guides_queries_agree_with_the_advisor(manifest):
    hour = analyze(manifest, window_s=3600, until="now", config=BreakerConfig())
    everything = analyze(manifest, window_s=4 * 3600, until="now", config=BreakerConfig())
    by_host = {h.host: h.metrics for h in hour.hosts}
    all_time = {h.host: h.metrics for h in everything.hosts}

    # Query 1 (corrected): opens in the last hour; by hand: 1 + 3
    assert sql(manifest, QUERY_1_CORRECTED) == [(HOST, 4)]
    assert by_host[HOST]["opens"] == 4
    assert by_host[CALM]["opens"] == 0
    # the guide's own text compares with julianday('now') - 0: never anything
    assert sql(manifest, QUERY_1_AS_IN_THE_GUIDE) == []

    # Query 2 (verbatim): average open duration over all 6 opens
    (host, average), *rest = sql(manifest, QUERY_2)
    assert host == HOST and rest == []
    by_hand = (32 + 31 + 32 + 32 + 31 + 31) / 6
    assert average == pytest.approx(by_hand, abs=1e-3)
    metrics = all_time[HOST]
    assert metrics["opens"] == 6
    assert metrics["open_time_s"] / metrics["opens"] == pytest.approx(average, abs=1e-3)

    # Query 3 (verbatim): half-open trials, 3 good and 3 failed
    assert sql(manifest, QUERY_3) == [(HOST, 3, 3)]
    assert (metrics["half_open_successes"], metrics["half_open_failures"]) == (3, 3)


def test_the_view_is_not_a_second_source_of_the_same_events(manifest):
    result = analyze(manifest, window_s=4 * 3600, until="now", config=BreakerConfig())
    (source,) = result.sources
    assert source.tables == {"breaker_events": "breaker_events"}
    rows = sql(manifest, "SELECT count(*) FROM breaker_events")[0][0]
    assert source.events == rows
