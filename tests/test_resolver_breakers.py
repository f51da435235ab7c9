"""Resolver breakers end to end (issue 17, item 2): the registry runs a resolver's own
breaker, the writer records its scope, and the advisor reports and advises it as a
breaker of its own with the resolver's settings (never dropped, never merged into a host)."""

from __future__ import annotations

import json
import sqlite3

import pytest

from advisor import analyze
from advisor.config import load_config
from advisor.errors import BreakerOpenError
from advisor.simulate import VirtualClock, pybreaker_clock
from advisor.telemetry import BreakerRegistry, ManifestWriter
from tests.helpers.manifests import T0


class Down(Exception):
    pass


def down() -> None:
    raise Down("503")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    path = tmp_path_factory.mktemp("resolver") / "manifest.sqlite3"
    config = load_config(
        None, env={}, defaults_override="fail_max:5,reset:30",
        resolver_overrides=["crossref=fail_max:2,reset:20"],
    )  # fmt: skip
    clock = VirtualClock(T0)
    with ManifestWriter(path, run_id="r") as writer:
        registry = BreakerRegistry(config, writer, clock=clock)
        with pybreaker_clock(clock):
            for burst in range(3):  # 3 bursts of 2 failures: the resolver opens 3 times
                clock.now = T0 + burst * 100
                for host in ("api.crossref.org", "doi.org"):
                    clock.now += 1
                    with pytest.raises(Down):
                        registry.call(host, down, resolver="crossref")
                clock.now += 1
                with pytest.raises(BreakerOpenError):
                    registry.call("doi.org", lambda: "ok", resolver="crossref")
                clock.now += 25  # after the resolver's 20 s: a good trial closes it
                assert registry.call("doi.org", lambda: "ok", resolver="crossref") == "ok"
    return path, config


def test_the_resolver_breaker_is_its_own_row_advised_with_its_settings(run):
    path, config = run
    result = analyze(path, window_s=3600, until=T0 + 400, config=config)
    rows = {h.host: h for h in result.hosts}
    assert set(rows) == {"api.crossref.org", "doi.org", "crossref"}
    resolver = rows["crossref"]
    # by hand: 3 opens, 6 failures, 3 refused, 3 good trials
    assert resolver.metrics["opens"] == 3
    assert (resolver.metrics["failures"], resolver.metrics["rejected"]) == (6, 3)
    assert resolver.metrics["half_open_successes"] == 3
    assert resolver.current["fail_max"] == 2 and resolver.current["reset_timeout_s"] == 20
    assert resolver.current_origin["fail_max"] == "cli"
    for host in ("api.crossref.org", "doi.org"):  # the hosts never opened (fail_max 5)
        assert rows[host].metrics["opens"] == 0
        assert rows[host].current["fail_max"] == 5
    assert rows["doi.org"].metrics["rejected"] == 0  # the resolver's refusals are its own


def test_the_writer_records_the_scope(run):
    path, _ = run
    with sqlite3.connect(path) as con:
        scopes = {
            (host, json.loads(details).get("scope"))
            for host, details in con.execute("SELECT host, details FROM breaker_events")
        }
    assert scopes == {("crossref", "resolver"), ("api.crossref.org", None), ("doi.org", None)}
