"""Resolver breakers end to end (issue 17, item 2): the registry runs a resolver's own
breaker, the writer records its scope, and the advisor reports and advises it as a
breaker of its own with the resolver's settings (never dropped, never merged into a host)."""

from __future__ import annotations

import json
import sqlite3

import pytest
import yaml

from advisor import analyze
from advisor.config import load_config
from advisor.errors import BreakerOpenError
from advisor.simulate import VirtualClock, pybreaker_clock
from advisor.telemetry import BreakerRegistry, ManifestWriter
from tests.helpers import manifests as m
from tests.helpers.manifests import T0
from tests.helpers.slow_host import HOURS, slow_host


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


# --- scope shown: JSON, table, YAML patch (issue 17, item 2, gaps) ---------------------


def test_the_scope_comes_from_the_telemetry(run, run_advise):
    """No ``resolvers:`` configured: the rows' ``"scope": "resolver"`` alone marks it."""
    path, _ = run
    result = analyze(path, window_s=3600, until=T0 + 400, config=load_config(None, env={}))
    scopes = {h["host"]: h["scope"] for h in result.to_dict()["hosts"]}
    assert scopes == {"api.crossref.org": "host", "doi.org": "host", "crossref": "resolver"}
    code, out, err = run_advise("--until", T0 + 400, "--window-s", 3600, path)
    assert code == 0, err
    rows = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "crossref (resolver)" in rows["crossref"]
    assert "(resolver)" not in rows["doi.org"] + rows["api.crossref.org"]


def test_the_scope_survives_the_cache(run, tmp_path):
    """Read from the cache's stored rows, and from its stored whole analysis, the
    telemetry's scope is the same (no ``resolvers:`` configured)."""
    from advisor import pipeline
    from advisor.ingest.cache import Cache

    path, _ = run
    options = {"window_s": 3600, "until": T0 + 400, "config": load_config(None, env={})}
    cache = tmp_path / "c.duckdb"
    cold = pipeline.analyze(path, cache=Cache(cache), **options)
    warm = pipeline.analyze(path, cache=Cache(cache), **options)  # the stored analysis
    plain = pipeline.analyze(path, **options)
    for result in (cold, warm):
        assert result.to_dict()["hosts"] == plain.to_dict()["hosts"]
    assert {h.host: h.scope for h in warm.hosts}["crossref"] == "resolver"


def _slow_resolver(tmp_path):
    """The slow-recovering host of tests/helpers/slow_host.py, recorded as resolver
    ``crossref``'s breaker (its name in ``host``, ``"scope": "resolver"``)."""
    rows = [
        (ts, "crossref", etype, {**details, "scope": "resolver"})
        for ts, _, etype, details in slow_host(10).rows
    ]
    return m.breaker_events(tmp_path / "manifest.sqlite3", rows)


RESOLVER_YAML = """\
defaults:
  fail_max: 5
hosts:
  crossref:        # a host entry of that name: not where a resolver's breaker is tuned
    fail_max: 7
resolvers:
  Crossref:
    fail_max: 3
    reset_timeout_s: 10   # tuned by hand
"""


def test_a_resolvers_advice_goes_under_resolvers(tmp_path, run_advise, advise_json):
    path = _slow_resolver(tmp_path)
    config = tmp_path / "breakers.yaml"
    config.write_text(RESOLVER_YAML)
    window = {"until": str(T0 + 6 * HOURS), "window_s": 6 * HOURS}
    report = advise_json("--config", config, path, **window)
    (host,) = report["hosts"]
    assert (host["host"], host["scope"]) == ("crossref", "resolver")
    assert host["current"]["fail_max"] == 3 and host["current"]["reset_timeout_s"] == 10
    changes = {
        r["parameter"]: r["suggested"]
        for r in host["recommendations"]
        if r["suggested"] != r["current"] and r["parameter"] in ("fail_max", "reset_timeout_s")
    }
    assert "reset_timeout_s" in changes  # probing 2-6 min outages every 10 s
    args = ("--until", window["until"], "--window-s", window["window_s"], "--config", config)
    code, out, err = run_advise(*args, "--format", "yaml", path)
    assert code == 0, err
    assert yaml.safe_load(out) == {"hosts": {}, "resolvers": {"crossref": changes}}
    tuned = tmp_path / "tuned.yaml"
    code, _, err = run_advise(*args, "--write-config", tuned, path)
    assert code == 0, err
    written = yaml.safe_load(tuned.read_text())
    assert written["hosts"] == {"crossref": {"fail_max": 7}}  # untouched
    assert written["resolvers"]["Crossref"] == {"fail_max": 3, "reset_timeout_s": 10} | changes
    # the written file gives the resolver's breaker exactly the advised values
    effective = load_config(tuned, env={}).effective("crossref")
    for key, value in changes.items():
        assert getattr(effective, key) == value


def test_the_report_and_the_api_mark_the_resolver(run):
    """The HTML report names the resolver's breaker as such (heading and summary row), and
    the notebook API's metrics frame carries the scope of every row."""
    import re

    from advisor import api
    from advisor.outputs.report import render_report
    from advisor.pipeline import report_data

    path, config = run
    analysis = api.analyze(path, window_s=3600, until=T0 + 400, config=config)
    frame = analysis.metrics
    assert frame.loc["crossref", "scope"] == "resolver"
    assert set(frame.drop(index="crossref")["scope"]) == {"host"}

    page = render_report(report_data(analysis))
    mark = r' <span class="muted">\(resolver\)</span>'
    headings = re.findall(r'<h3 id="[^"]+">([^<]*)' + mark + "</h3>", page)
    rows = re.findall(r'data-anchor="[^"]+">([^<]*)</a>' + mark + "</th>", page)
    assert headings == ["crossref"] and rows == ["crossref"]
    assert page.count("(resolver)") == 2  # no host is marked
