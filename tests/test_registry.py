"""BreakerRegistry: breakers from the effective config, rejected calls, Retry-After
cooldowns, roles, disabled mode, and the analyser reading what it wrote."""

from __future__ import annotations

import json
import sqlite3
import textwrap
from types import SimpleNamespace

import pybreaker
import pytest

from advisor.config import load_config
from advisor.errors import BreakerOpenError
from advisor.simulate import VirtualClock, pybreaker_clock
from advisor.telemetry import BreakerRegistry, ManifestWriter, SQLiteCooldownStore
from tests.helpers.manifests import T0

YAML = """
defaults:
  fail_max: 3
  reset_timeout_s: 30
  retry_after_cap_s: 60
hosts:
  api.example.org:
    fail_max: 2
    reset_timeout_s: 10
    roles:
      metadata:
        fail_max: 1
"""


class HTTPError(Exception):
    def __init__(self, status: int, retry_after: float | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.response = SimpleNamespace(
            status_code=status,
            headers={"Retry-After": str(retry_after)} if retry_after is not None else {},
        )


def ok() -> str:
    return "ok"


def fail(status: int = 503, retry_after: float | None = None):
    def call() -> None:
        raise HTTPError(status, retry_after)

    return call


@pytest.fixture
def setup(tmp_path):
    path = tmp_path / "breakers.yaml"
    path.write_text(textwrap.dedent(YAML))
    config = load_config(path, env={})
    clock = VirtualClock(T0)
    writer = ManifestWriter(tmp_path / "m.sqlite3", run_id="reg", flush_interval_s=None)
    registry = BreakerRegistry(config, writer, clock=clock)
    with pybreaker_clock(clock):
        yield SimpleNamespace(registry=registry, clock=clock, writer=writer, config=config)
    writer.close()


def events(writer: ManifestWriter) -> list[tuple[float, str, str, dict]]:
    writer.flush()
    with sqlite3.connect(writer.path) as con:
        return [
            (ts, host, kind, json.loads(details))
            for ts, host, kind, details in con.execute(
                "SELECT ts, host, event_type, details FROM breaker_events ORDER BY id"
            )
        ]


def step(s, wait: float, func, host: str = "api.example.org", role: str | None = None):
    s.clock.now += wait
    try:
        return s.registry.call(host, func, role=role)
    except (HTTPError, BreakerOpenError) as exc:
        return exc


def test_breakers_are_built_from_the_effective_config(setup):
    registry = setup.registry
    host = registry.breaker("API.Example.org ")
    assert (host.fail_max, host.reset_timeout) == (2, 10)
    other = registry.breaker("other.example.org")
    assert (other.fail_max, other.reset_timeout) == (3, 30)
    assert registry.breaker("api.example.org", role="metadata") is not host
    assert registry.breaker("api.example.org", role="metadata").fail_max == 1
    assert registry.breaker("api.example.org", role="landing") is host  # no override: shared
    assert registry.settings("api.example.org").retry_after_cap_s == 60
    assert registry.hosts() == ["api.example.org", "other.example.org"]


def test_refused_calls_are_recorded_and_raise_breaker_open_error(setup):
    s = setup
    assert step(s, 0, ok) == "ok"
    first = step(s, 1, fail())
    second = step(s, 1, fail())
    assert isinstance(first, HTTPError) and isinstance(second, HTTPError)  # not CircuitBreakerError
    assert s.registry.state("api.example.org") == "open"
    refused = step(s, 1, ok)
    assert isinstance(refused, BreakerOpenError)
    assert (refused.host, refused.reason, refused.until) == (
        "api.example.org",
        "breaker_open",
        T0 + 12,
    )
    assert refused.exit_code == 1 and "call refused (breaker_open)" in str(refused)
    assert step(s, 10, ok) == "ok"  # trial after the reset timeout closes it
    assert s.registry.state("api.example.org") == "closed"

    rows = [(kind, d.get("state"), d.get("reason")) for _, _, kind, d in events(s.writer)]
    assert rows == [
        ("success", "closed", None),
        ("failure", "closed", None),
        ("failure", "closed", None),
        ("state_change", None, None),
        ("rejected", "open", "breaker_open"),
        ("state_change", None, None),
        ("state_change", None, None),
        ("success", "half_open", None),
    ]
    failure = events(s.writer)[1][3]
    assert failure == {
        "state": "closed",
        "status": 503,
        "exc_type": "HTTPError",
        "elapsed_ms": 0.0,
        "run_id": "reg",
    }


def test_retry_after_sets_a_capped_cooldown(setup):
    s = setup
    result = step(s, 0, fail(429, retry_after=300), host="slow.example.org")
    assert isinstance(result, HTTPError)
    cooldown = s.registry.cooldowns.get("slow.example.org")
    assert cooldown.until == T0 + 60  # capped at retry_after_cap_s
    assert cooldown.reason == "Retry-After 300 s (HTTP 429), capped at 60 s"
    refused = step(s, 30, ok, host="slow.example.org")
    assert isinstance(refused, BreakerOpenError) and refused.reason == "cooldown"
    assert refused.until == T0 + 60
    assert step(s, 31, ok, host="slow.example.org") == "ok"

    rows = events(s.writer)
    assert [(kind, d.get("reason")) for _, _, kind, d in rows] == [
        ("failure", None),
        ("rejected", "cooldown"),
        ("success", None),
    ]
    assert rows[0][3]["retry_after_s"] == 300.0 and rows[0][3]["status"] == 429


def test_a_retry_after_never_shortens_a_longer_cooldown(setup):
    s = setup

    def operator_acts_during_the_call() -> None:
        s.registry.cooldowns.set("x.example.org", T0 + 500, "maintenance")
        raise HTTPError(429, retry_after=10)

    assert isinstance(step(s, 0, operator_acts_during_the_call, host="x.example.org"), HTTPError)
    assert s.registry.cooldowns.get("x.example.org").until == T0 + 500
    assert s.registry.cooldowns.get("x.example.org").reason == "maintenance"


def test_a_cooldown_set_elsewhere_is_honoured(tmp_path, setup):
    s = setup
    shared = tmp_path / "cooldowns.db"
    s.registry.cooldowns = SQLiteCooldownStore(shared)
    SQLiteCooldownStore(shared).set("api.example.org", T0 + 100, "maintenance")  # the operator
    refused = step(s, 0, ok)
    assert isinstance(refused, BreakerOpenError)
    assert (
        str(refused)
        == f"api.example.org: call refused (cooldown) until {T0 + 100:.0f} (epoch s): maintenance"
    )
    SQLiteCooldownStore(shared).clear("api.example.org")
    assert step(s, 0, ok) == "ok"


def test_role_breakers_record_their_role(setup):
    s = setup
    assert isinstance(step(s, 0, fail(), role="metadata"), HTTPError)  # fail_max 1: opens
    assert s.registry.state("api.example.org", role="metadata") == "open"
    assert s.registry.state("api.example.org") == "closed"
    assert step(s, 0, ok, role="landing") == "ok"
    rows = events(s.writer)
    assert [(kind, d.get("role")) for _, _, kind, d in rows] == [
        ("failure", "metadata"),
        ("state_change", "metadata"),
        ("success", "landing"),
    ]


def test_disabled_passes_calls_straight_through(setup):
    s = setup
    s.config.disabled = True
    for _ in range(5):
        assert isinstance(step(s, 0, fail()), HTTPError)
    assert step(s, 0, ok) == "ok"
    assert events(s.writer) == []


def test_exceptions_the_call_raises_pass_unchanged(setup):
    s = setup

    def nested() -> None:
        raise pybreaker.CircuitBreakerError("an inner breaker refused")

    with pytest.raises(pybreaker.CircuitBreakerError, match="inner"):
        s.registry.call("api.example.org", nested)
    assert [kind for _, _, kind, _ in events(s.writer)] == ["failure"]


def test_the_analyser_reads_what_the_registry_writes(setup, advise_json):
    s = setup
    for _ in range(4):
        step(s, 1, ok)
    step(s, 1, fail())
    step(s, 1, fail())  # open
    step(s, 1, ok)  # rejected
    step(s, 1, ok)  # rejected
    step(s, 10, fail(503))  # half-open trial fails
    step(s, 11, ok)  # trial succeeds
    step(s, 1, fail(429, retry_after=20))  # cooldown 20 s
    step(s, 1, ok)  # rejected (cooldown)
    s.writer.close()
    report = advise_json(str(s.writer.path))
    (host,) = report["hosts"]
    metrics = host["metrics"]
    assert host["host"] == "api.example.org"
    assert {k: metrics[k] for k in ("calls", "successes", "failures", "rejected", "opens")} == {
        "calls": 9,
        "successes": 5,
        "failures": 4,
        "rejected": 3,
        "opens": 2,
    }
    assert (metrics["half_open_trials"], metrics["half_open_successes"]) == (2, 1)
    assert (metrics["status_429"], metrics["retry_after_s"]["count"]) == (1, 1)
    assert report["sources"][0]["skipped"] == 0


# --- operator holds and releases through the store (issue 17, item 8) ----------------------


def manual_rows(writer: ManifestWriter) -> list[tuple[str, str, str]]:
    return [
        (d["old_state"], d["new_state"], d["reason"])
        for _, _, kind, d in events(writer)
        if kind == "state_change" and d.get("manual")
    ]


def test_a_release_in_the_store_closes_a_breaker_tripped_in_memory(tmp_path, setup):
    s = setup
    shared = tmp_path / "cooldowns.db"
    s.registry.cooldowns = SQLiteCooldownStore(shared)
    step(s, 0, fail())
    step(s, 1, fail())
    assert s.registry.state("api.example.org") == "open"  # only in this process's memory
    SQLiteCooldownStore(shared).set("api.example.org", s.clock.now, "fixed", kind="close")
    assert step(s, 1, ok) == "ok"  # reset timeout (10 s) not over: the release let it through
    assert s.registry.state("api.example.org") == "closed"
    assert manual_rows(s.writer) == [("open", "closed", "fixed")]
    step(s, 1, fail())
    step(s, 1, fail())  # trips again: a release already obeyed is not obeyed twice
    assert isinstance(step(s, 1, ok), BreakerOpenError)
    assert manual_rows(s.writer) == [("open", "closed", "fixed")]


def test_a_release_of_a_closed_breaker_records_nothing(setup):
    s = setup
    assert step(s, 0, ok) == "ok"
    s.registry.cooldowns.set("api.example.org", s.clock.now, "typo?", kind="close")
    assert step(s, 1, ok) == "ok"
    assert manual_rows(s.writer) == []


def test_a_hold_is_recorded_by_the_registry_when_it_begins_and_ends(setup):
    s = setup
    assert step(s, 0, ok) == "ok"
    s.registry.cooldowns.set("api.example.org", s.clock.now + 60, "maintenance", kind="open")
    refused = step(s, 1, ok)
    assert isinstance(refused, BreakerOpenError) and refused.reason == "cooldown"
    assert isinstance(step(s, 1, ok), BreakerOpenError)  # recorded once, refused each time
    assert manual_rows(s.writer) == [("closed", "open", "maintenance")]
    assert step(s, 60, ok) == "ok"
    assert manual_rows(s.writer) == [
        ("closed", "open", "maintenance"),
        ("open", "closed", "hold ended"),
    ]
    hold = [d for _, _, kind, d in events(s.writer) if kind == "state_change"][0]
    assert hold["reset_timeout_s"] == 59.0


def test_a_release_ends_a_hold_this_registry_recorded(setup):
    s = setup
    s.registry.cooldowns.set("api.example.org", s.clock.now + 600, "maintenance", kind="open")
    assert isinstance(step(s, 1, ok), BreakerOpenError)
    s.registry.cooldowns.set("api.example.org", s.clock.now, "done early", kind="close")
    assert step(s, 1, ok) == "ok"
    assert manual_rows(s.writer) == [
        ("closed", "open", "maintenance"),
        ("open", "closed", "done early"),
    ]


# --- resolver breakers (issue 17, item 2) --------------------------------------------------


def test_a_resolver_call_passes_through_the_resolvers_breaker_and_the_hosts(tmp_path):
    config = load_config(
        None,
        env={},
        defaults_override="fail_max:5,reset:30",
        resolver_overrides=["Crossref=fail_max:2"],
    )
    clock = VirtualClock(T0)
    writer = ManifestWriter(tmp_path / "m.sqlite3", run_id="res", flush_interval_s=None)
    registry = BreakerRegistry(config, writer, clock=clock)
    with pybreaker_clock(clock):
        assert registry.resolver_breaker("crossref").fail_max == 2  # the resolver's settings
        assert registry.breaker("api.crossref.org").fail_max == 5
        for _ in range(2):
            clock.now += 1
            with pytest.raises(HTTPError):
                registry.call("api.crossref.org", fail(), resolver="crossref")
        assert registry.resolver_breaker("crossref").current_state == "open"
        assert registry.state("api.crossref.org") == "closed"  # 2 of its 5
        clock.now += 1
        with pytest.raises(BreakerOpenError) as refused:
            registry.call("other.org", ok, resolver="crossref")  # the resolver refuses
        assert refused.value.host == "crossref"
        assert registry.call("api.crossref.org", ok) == "ok"  # without the resolver: its host
    assert registry.hosts() == ["api.crossref.org", "other.org"]
    assert registry.resolvers() == ["crossref"]
    rows = [(host, kind, d.get("scope")) for _, host, kind, d in events(writer)]
    assert rows == [
        ("api.crossref.org", "failure", None),
        ("crossref", "failure", "resolver"),
        ("api.crossref.org", "failure", None),
        ("crossref", "failure", "resolver"),
        ("crossref", "state_change", "resolver"),
        ("crossref", "rejected", "resolver"),
        ("api.crossref.org", "success", None),
    ]
    writer.close()


def test_a_host_refusal_is_not_the_resolvers_failure(setup):
    s = setup
    s.registry.cooldowns.set("api.example.org", s.clock.now + 60, "Retry-After 60 s")
    for _ in range(5):
        with pytest.raises(BreakerOpenError) as refused:
            s.registry.call("api.example.org", ok, resolver="crossref")
        assert refused.value.host == "api.example.org"
    assert s.registry.resolver_breaker("crossref").current_state == "closed"
    assert [host for _, host, _, _ in events(s.writer)] == ["api.example.org"] * 5


# --- DOCSTOKG_BREAKER_DEBUG (issue 17, item 6) ---------------------------------------------


def test_debug_variable_logs_every_decision(tmp_path, monkeypatch, caplog, setup):
    import logging

    from advisor.telemetry import debug

    logger = logging.getLogger(debug.LOGGER)
    monkeypatch.setattr(logger, "handlers", [])
    monkeypatch.setattr(logger, "level", logging.NOTSET)
    monkeypatch.delenv(debug.ENV_DEBUG, raising=False)
    BreakerRegistry(setup.config, setup.writer, clock=setup.clock)
    assert not logger.isEnabledFor(logging.DEBUG)  # unset: nothing turned on
    monkeypatch.setenv(debug.ENV_DEBUG, "1")
    s = SimpleNamespace(
        registry=BreakerRegistry(setup.config, setup.writer, clock=setup.clock), clock=setup.clock
    )
    assert logger.level == logging.DEBUG and len(logger.handlers) == 1
    with caplog.at_level(logging.DEBUG, logger=debug.LOGGER):
        step(s, 0, ok)
        step(s, 1, fail())
        step(s, 1, fail())
        step(s, 1, ok)
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("advisor.telemetry")]
    assert messages == [
        "admit api.example.org (closed)",
        "success api.example.org (closed, 0.0 ms)",
        "admit api.example.org (closed)",
        "failure api.example.org: HTTPError (HTTP 503)",
        "admit api.example.org (closed)",
        "failure api.example.org: HTTPError (HTTP 503)",
        "state api.example.org: closed -> open",
        "refuse api.example.org (breaker_open, open)",
    ]
