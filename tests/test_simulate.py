"""The simulator: determinism, truth.json against the events, and the advisor reading
its output."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from itertools import pairwise

import pytest
from typer.testing import CliRunner

from advisor.cli.app import advise_app, app
from advisor.config import load_config
from advisor.errors import UsageError
from advisor.simulate import SCENARIOS, default_workers, resolve_end, simulate

END = "2026-01-15T08:00:00Z"
END_TS = 1_768_464_000.0


def digest(path, order: str = "id") -> str:
    hasher = hashlib.sha256()
    with sqlite3.connect(path) as con:
        for row in con.execute(
            f"SELECT id, ts, host, event_type, details FROM breaker_events ORDER BY {order}"
        ):
            hasher.update(repr(row if order == "id" else row[1:]).encode())
    return hasher.hexdigest()


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    out = tmp_path_factory.mktemp("crawl")
    result = simulate("crawl-night", out, hours=0.5, seed=7, end=END)
    truth = json.loads(result.truth.read_text())
    return result, truth


def events(path, where: str = "1=1", params=()) -> list[tuple]:
    with sqlite3.connect(path) as con:
        return con.execute(
            f"SELECT ts, host, event_type, details FROM breaker_events WHERE {where} ORDER BY id",
            params,
        ).fetchall()


def test_same_seed_and_end_give_identical_rows(tmp_path):
    first = simulate("flapping", tmp_path / "a", hours=0.25, seed=3, end=END)
    second = simulate("flapping", tmp_path / "b", hours=0.25, seed=3, end=END)
    other = simulate("flapping", tmp_path / "c", hours=0.25, seed=4, end=END)
    assert first.events == second.events > 1000
    assert digest(first.manifest) == digest(second.manifest)
    assert digest(first.manifest) != digest(other.manifest)
    assert first.truth.read_text() == second.truth.read_text()


def test_workers_share_the_hosts_and_keep_each_hosts_events(tmp_path):
    one = simulate("outage", tmp_path / "one", hours=0.1, seed=5, end=END)
    # small slices of virtual time: the two workers take many turns at writing
    many_turns = {"hours": 0.1, "seed": 5, "end": END, "workers": 2, "batch_size": 400}
    two = simulate("outage", tmp_path / "two", **many_turns)
    again = simulate("outage", tmp_path / "again", **many_turns)
    assert one.events == two.events
    assert digest(one.manifest, "host, id") == digest(two.manifest, "host, id")
    assert digest(two.manifest) == digest(again.manifest)  # same workers: same row ids


def test_workers_auto_and_bad_counts(tmp_path):
    assert default_workers("outage", 0.05) == 1  # done before a worker process would start
    assert 1 <= default_workers("crawl-night", 8) <= 2
    small = simulate("outage", tmp_path / "a", hours=0.05, seed=1, end=END, workers="auto")
    assert small.events > 100
    for bad in (0, -1, "x", "1.5", True, 65, "65", 10**30):
        with pytest.raises(UsageError, match="--workers: expected a whole number from 1 to 64"):
            simulate("outage", tmp_path / "b", hours=0.05, seed=1, end=END, workers=bad)
    assert not (tmp_path / "b").exists()


def test_the_run_writes_config_and_truth(crawl):
    result, truth = crawl
    assert result.manifest.name == "manifest.sqlite3"
    config = load_config(result.config, env={})
    assert truth["end"] == END_TS and truth["start"] == END_TS - 1800
    assert truth["run_id"] == "sim-crawl-night-7"
    assert len(truth["hosts"]) == 12
    for host, facts in truth["hosts"].items():
        assert facts["config"] == config.effective(host).to_dict()
        assert 0.02 <= facts["request_rate_per_s"] <= 20
    assert config.effective("api.openalex.org").reset_timeout_s == 15
    assert sum(1 for facts in truth["hosts"].values() if facts["mistuned"]) >= 4
    kinds = {h: f["behaviour"] for h, f in truth["hosts"].items()}
    assert "rarely" in kinds["zenodo.org"] and "long outages" in kinds["api.openalex.org"]


def test_events_stay_inside_the_simulated_stretch(crawl):
    result, truth = crawl
    with sqlite3.connect(result.manifest) as con:
        low, high, count = con.execute(
            "SELECT min(ts), max(ts), count(*) FROM breaker_events"
        ).fetchone()
        kinds = dict(con.execute("SELECT event_type, count(*) FROM breaker_events GROUP BY 1"))
        run_ids = {row[0] for row in con.execute(
            "SELECT DISTINCT json_extract(details, '$.run_id') FROM breaker_events"
        )}  # fmt: skip
    assert truth["start"] <= low and high <= truth["end"]
    assert count == result.events
    assert set(kinds) == {"success", "failure", "rejected", "state_change"}
    assert run_ids == {"sim-crawl-night-7"}


def test_every_true_outage_shows_up_as_failures(crawl):
    result, truth = crawl
    checked = 0
    for host, facts in truth["hosts"].items():
        slack = facts["process"]["timeout_s"] + 1
        for start, end in facts["outages"]:
            failures = events(
                result.manifest,
                "host = ? AND event_type = 'failure' AND ts BETWEEN ? AND ?",
                (host, start, end + slack),
            )
            assert failures, f"{host}: outage {start}..{end} has no recorded failure"
            checked += 1
        for start, end in (facts["rate_limit"] or {}).get("windows", []):
            throttled = events(
                result.manifest,
                "host = ? AND json_extract(details, '$.status') = 429 AND ts BETWEEN ? AND ?",
                (host, start, end + 1),
            )
            assert throttled, f"{host}: 429 window {start}..{end} left no 429"
            retry_after = json.loads(throttled[0][3])["retry_after_s"]
            assert 0 < retry_after <= end - start + 1
    assert checked >= 4


def test_hosts_without_trouble_never_open(crawl):
    result, truth = crawl
    calm = [h for h, f in truth["hosts"].items() if not f["process"]["incidents"]]
    assert "doi.org" in calm
    for host in calm:
        assert not events(result.manifest, "host = ? AND event_type = 'state_change'", (host,))


def test_the_advisor_finds_every_host(crawl, advise_json):
    result, truth = crawl
    report = advise_json(str(result.out_dir), window_s=1800)
    metrics = {h["host"]: h["metrics"] for h in report["hosts"]}
    assert set(metrics) == set(truth["hosts"])
    assert metrics["api.openalex.org"]["opens"] > 0
    assert metrics["api.openalex.org"]["half_open_failures"] > 0
    assert metrics["doi.org"]["opens"] == 0 and metrics["doi.org"]["calls"] > 20_000
    assert metrics["export.arxiv.org"]["status_429"] > 0
    assert sum(m["calls"] + m["rejected"] for m in metrics.values()) == sum(
        1 for _ in events(result.manifest, "event_type <> 'state_change'")
    )


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_scenario_runs(name, tmp_path):
    result = simulate(name, tmp_path, hours=0.05, seed=1, end=END)
    assert result.events > 100
    truth = json.loads(result.truth.read_text())
    assert set(truth["hosts"]) == {h for (h,) in _hosts(result.manifest)}


def _hosts(path):
    with sqlite3.connect(path) as con:
        return con.execute("SELECT DISTINCT host FROM breaker_events").fetchall()


def test_events_end_now_by_default_and_advise_finds_them(tmp_path):
    before = time.time()
    simulate("outage", tmp_path, hours=0.05, seed=2)
    with sqlite3.connect(tmp_path / "manifest.sqlite3") as con:
        high = con.execute("SELECT max(ts) FROM breaker_events").fetchone()[0]
    assert before - 60 < high <= time.time()
    result = CliRunner().invoke(
        advise_app, ["--format", "json", "--window-s", "3600", str(tmp_path)]
    )
    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)["hosts"]) == 4


def test_resolve_end():
    assert resolve_end(END) == END_TS
    assert resolve_end(END_TS) == END_TS
    assert abs(resolve_end("now") - time.time()) < 5
    for bad in ("yesterday", "latest"):
        with pytest.raises(UsageError, match="--end"):
            resolve_end(bad)


def test_simulate_command(tmp_path):
    args = ["simulate", "--scenario", "outage", "--hours", "0.05", "--seed", "1",
            "--end", END, "--out", str(tmp_path)]  # fmt: skip
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.stderr
    assert first.stdout.splitlines() == [
        str(tmp_path / name) for name in ("manifest.sqlite3", "breakers.yaml", "truth.json")
    ]
    assert "events/s" in first.stderr and "simulating" not in first.stderr  # no bar off a tty
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 2 and "--force" in again.stderr
    forced = CliRunner().invoke(app, [*args, "--force"])
    assert forced.exit_code == 0, forced.stderr
    unknown = CliRunner().invoke(app, ["simulate", "--scenario", "nope", "--out", str(tmp_path)])
    assert unknown.exit_code == 2 and "expected one of crawl-night" in unknown.stderr


# --- the archetypes: every scenario's claims in truth.json, checked against the events ---


def attempts(path, host: str) -> list[tuple[float, str, dict]]:
    """(start, event_type, details) of every call attempt of ``host``: a sent call starts
    ``elapsed_ms`` before its event, a refused one at its event."""
    out = []
    for ts, _, kind, details in events(path, "host = ? AND event_type <> 'state_change'", (host,)):
        facts = json.loads(details)
        out.append((ts - (facts.get("elapsed_ms") or 0.0) / 1000.0, kind, facts))
    return out


def inside(t: float, intervals) -> bool:
    return any(a <= t <= b for a, b, *_ in intervals)


def run_of(name: str, tmp_path, hours: float, seed: int = 3, **kwargs):
    result = simulate(name, tmp_path / name, hours=hours, seed=seed, end=END, **kwargs)
    return result, json.loads(result.truth.read_text())


def test_every_scenario_is_well_formed_and_small():
    wanted = {"crawl-night", "outage", "rate-limited", "flapping", "down-whole-window",
              "fleet-incident", "many-independent", "idle-gaps", "blips", "long-outages",
              "mixed"}  # fmt: skip
    assert wanted <= set(SCENARIOS)
    for name, make in SCENARIOS.items():
        spec = make()
        assert spec.name == name
        names = [p.host for p in spec.hosts]
        assert len(names) == len(set(names)), name
        assert all(host == host.strip().casefold() for host in names)
        if spec.fleet is not None:
            assert len(spec.fleet.hosts) >= 3 and set(spec.fleet.hosts) <= set(names)
        per_hour = 0.0
        for process in spec.hosts:
            for a, b in (*process.active, *process.down):
                assert 0.0 <= a < b <= 1.0, (name, process.host)
            share = sum(b - a for a, b in process.active) if process.active else 1.0
            per_hour += process.rate * share * 3600
        assert per_hour < 250_000, f"{name}: {per_hour:.0f} calls per hour"


def test_down_whole_window(tmp_path):
    result, truth = run_of("down-whole-window", tmp_path, 0.5)
    start, end = truth["start"], truth["end"]
    down = [h for h, f in truth["hosts"].items() if f["outages"] == [[start, end]]]
    healthy = [h for h, f in truth["hosts"].items() if not f["outages"]]
    assert len(down) >= 1 and len(healthy) >= 1
    assert any(truth["hosts"][h]["request_rate_per_s"] < 0.1 for h in down)  # a rare one too
    for host in down:
        calls = attempts(result.manifest, host)
        assert calls and not [c for c in calls if c[1] == "success"], host
        assert [c for c in calls if c[1] == "failure"]
        opens = events(result.manifest, "host = ? AND event_type = 'state_change'", (host,))
        assert opens, f"{host}: a host down all along never opened its breaker"
    for host in healthy:
        kinds = {c[1] for c in attempts(result.manifest, host)}
        assert "success" in kinds and "rejected" not in kinds


def test_fleet_incidents_are_shared_and_fail_every_listed_host(tmp_path):
    result, truth = run_of("fleet-incident", tmp_path, 1.0)
    incidents = truth["fleet_incidents"]
    assert 1 <= len(incidents) <= 3
    everyone = set(truth["hosts"])
    for a, b, hosts in incidents:
        assert 120 <= b - a <= 360 and truth["start"] < a < b < truth["end"]
        assert len(hosts) >= 8 and set(hosts) < everyone
        for host in everyone:
            facts = truth["hosts"][host]
            calls = [c for c in attempts(result.manifest, host) if a + 0.001 < c[0] < b - 0.001]
            if host not in hosts:  # the controls: up all along, and called
                assert not any(x < b and a < y for x, y in facts["outages"]), host
                assert any(kind == "success" for _, kind, _ in calls), host
                continue
            assert [a, b] in facts["outages"], f"{host}: fleet incident {a}..{b} missing"
            assert calls, f"{host}: no call attempt during the fleet incident"
            assert not [c for c in calls if c[1] == "success"], f"{host}: a success at {a}..{b}"
            failed = [f for _, kind, f in calls if kind == "failure"]
            # a caller-side incident: no answer at all, not an HTTP error from the server
            assert all(f.get("status") is None for f in failed), host
            if facts["request_rate_per_s"] >= 1:
                assert failed, f"{host}: no failed call during the fleet incident"
    starts = [a for a, _, _ in incidents]
    assert starts == sorted(starts)
    assert all(b1 < a2 for (_, b1, _), (a2, _, _) in pairwise(incidents))


def test_many_independent_hosts_coincide_only_by_chance(tmp_path):
    result, truth = run_of("many-independent", tmp_path, 1.0)
    assert truth["fleet_incidents"] == [] and len(truth["hosts"]) >= 25
    opens = sorted(
        (ts, host)
        for ts, host, _, details in events(result.manifest, "event_type = 'state_change'")
        if json.loads(details)["old_state"] == "closed"
    )
    hosts_opening = {host for _, host in opens}
    assert len(hosts_opening) >= 20
    assert len(opens) >= 2 * len(truth["hosts"])  # several opens per host and hour
    crowded = max(len({h for t, h in opens if t0 <= t <= t0 + 120}) for t0, _ in opens)
    assert crowded >= 3, "no three hosts opened within 2 minutes of each other"
    # independent processes: not every host has its first outage at the run's start
    firsts = [f["outages"][0][0] for f in truth["hosts"].values() if f["outages"]]
    early = sum(t < truth["start"] + 600 for t in firsts)
    assert early < 0.6 * len(firsts), f"{early} of {len(firsts)} first outages in 10 min"


def test_idle_gaps_no_traffic_outside_the_active_stretches(tmp_path):
    result, truth = run_of("idle-gaps", tmp_path, 3.0)
    start, end = truth["start"], truth["end"]
    idle_hosts = 0
    for host, facts in truth["hosts"].items():
        active = facts["active"]
        assert active and all(start <= a < b <= end for a, b in active)
        share = sum(b - a for a, b in active) / (end - start)
        calls = attempts(result.manifest, host)
        assert calls, host
        outside = [c for c in calls if not inside(c[0], active)]
        assert not outside, f"{host}: {len(outside)} attempts outside {active}"
        if share < 1:
            idle_hosts += 1
            assert abs(share - 1 / 3) < 1e-6, (
                f"{host}: active {share:.3f} of the run, not 8 h of 24"
            )
            for a, b in active:  # every stretch is used
                assert any(a <= c[0] <= b for c in calls), f"{host}: no call in {a}..{b}"
            for a, _ in facts["outages"] + facts["noise_bursts"]:
                assert inside(a, active), f"{host}: trouble at {a} planned in idle time"
    assert idle_hosts >= 5
    assert any(len(f["active"]) >= 2 for f in truth["hosts"].values())


def test_blips_and_long_outages_are_what_they_say(tmp_path):
    _, blips = run_of("blips", tmp_path, 1.5)
    rare = [f for f in blips["hosts"].values() if f["request_rate_per_s"] < 0.1]
    assert len(rare) == 1 and rare[0]["outages"]
    busy = [f for f in blips["hosts"].values() if f["request_rate_per_s"] >= 1 and f["outages"]]
    assert len(busy) >= 3
    for facts in [*busy, *rare]:
        assert 300 <= facts["config"]["reset_timeout_s"] <= 900
        for a, b in facts["outages"]:
            assert 3 <= b - a <= 40
    _, long = run_of("long-outages", tmp_path, 2.0)
    rates = sorted(f["request_rate_per_s"] for f in long["hosts"].values())
    assert rates[0] <= 0.05 and rates[-1] >= 10
    seen = 0
    for facts in long["hosts"].values():
        assert 5 <= facts["config"]["reset_timeout_s"] <= 20
        for a, b in facts["outages"]:
            assert b - a <= 3600 and (b - a >= 600 or b == long["end"])
            seen += 1
    assert seen >= len(long["hosts"])


def test_mixed_hosts_have_both_mechanisms(tmp_path):
    result, truth = run_of("mixed", tmp_path, 2.0)
    both = [h for h, f in truth["hosts"].items() if f["noise_bursts"] and f["outages"]]
    assert both, "no host with noise bursts and real outages"
    throttled = [h for h, f in truth["hosts"].items() if (f["rate_limit"] or {}).get("windows")]
    assert throttled
    for host in throttled:
        windows = truth["hosts"][host]["rate_limit"]["windows"]
        noise = [
            f for t, kind, f in attempts(result.manifest, host)
            if kind == "failure" and f.get("status") != 429 and not inside(t, windows)
        ]  # fmt: skip
        assert len(noise) >= 20, f"{host}: {len(noise)} background failures"


def test_new_scenarios_are_deterministic_for_any_number_of_workers(tmp_path):
    for name in ("fleet-incident", "idle-gaps"):
        args = {"hours": 0.5, "seed": 4, "end": END}
        one = simulate(name, tmp_path / f"{name}-1", **args)
        again = simulate(name, tmp_path / f"{name}-again", **args)
        two = simulate(name, tmp_path / f"{name}-2", workers=2, batch_size=2000, **args)
        assert digest(one.manifest) == digest(again.manifest)
        assert one.truth.read_text() == again.truth.read_text() == two.truth.read_text()
        assert digest(one.manifest, "host, id") == digest(two.manifest, "host, id")


def test_host_config_and_defaults_replace_the_scenarios(tmp_path):
    host = "api.openalex.org"
    replaced = {host: {"reset_timeout_s": 30}, "EUTILS.ncbi.nlm.nih.gov ": {"fail_max": 2}}
    new_defaults = {"fail_max": 4, "reset_timeout_s": 45}
    run = {"hours": 1.0, "seed": 5, "end": END}
    own = simulate("blips", tmp_path / "own", **run)
    other = simulate(
        "blips", tmp_path / "other", workers=2, host_config=replaced, defaults=new_defaults, **run
    )
    own_truth, truth = json.loads(own.truth.read_text()), json.loads(other.truth.read_text())
    config = load_config(other.config, env={})
    assert set(config.hosts) == {host, "eutils.ncbi.nlm.nih.gov"}
    for name, facts in truth["hosts"].items():
        assert facts["config"] == config.effective(name).to_dict()
        assert facts["mistuned"] is None
    assert truth["hosts"][host]["config"]["reset_timeout_s"] == 30
    assert truth["hosts"][host]["config"]["fail_max"] == 4
    assert truth["hosts"]["eutils.ncbi.nlm.nih.gov"]["config"]["fail_max"] == 2
    assert truth["hosts"]["eutils.ncbi.nlm.nih.gov"]["config"]["reset_timeout_s"] == 45
    assert truth["hosts"]["api.crossref.org"]["config"]["reset_timeout_s"] == 45  # was 300
    assert own_truth["hosts"]["api.crossref.org"]["config"]["reset_timeout_s"] == 300
    assert truth["config_replaced"] and not own_truth["config_replaced"]
    # the workers ran the breakers with it: each open records its reset timeout
    for name, expected in ((host, 30.0), ("api.crossref.org", 45.0)):
        opened = [
            json.loads(d)["reset_timeout_s"]
            for *_, d in events(other.manifest, "host = ? AND event_type = 'state_change'", (name,))
            if json.loads(d)["new_state"] == "open"
        ]
        assert opened and set(opened) == {expected}, name
    # and the incident plan kept incidents apart by the new timeout, not the old one
    gaps = [b[0] - a[1] for a, b in pairwise(truth["hosts"][host]["outages"])]
    own_gaps = [b[0] - a[1] for a, b in pairwise(own_truth["hosts"][host]["outages"])]
    assert all(g >= 1800 for g in own_gaps)  # 2 x 900 s
    assert min(gaps) < 1800, "incidents still spaced for reset_timeout_s 900"
    with pytest.raises(UsageError, match="no host nope.example"):
        simulate("blips", tmp_path / "bad", host_config={"nope.example": {}}, **run)
    assert not (tmp_path / "bad").exists()


def test_empty_host_config_puts_every_host_on_the_defaults(tmp_path):
    result, truth = run_of("crawl-night", tmp_path, 0.05, host_config={})
    config = load_config(result.config, env={})
    assert config.hosts == {}
    assert {json.dumps(f["config"], sort_keys=True) for f in truth["hosts"].values()} == {
        json.dumps(config.effective("doi.org").to_dict(), sort_keys=True)
    }


def test_simulate_command_replaces_the_config(tmp_path):
    args = ["simulate", "--scenario", "blips", "--hours", "0.05", "--seed", "1", "--end", END,
            "--out", str(tmp_path), "--defaults", "fail_max:7,reset:20",
            "--breaker", "api.crossref.org=reset:90",
            "--breaker", "www.ebi.ac.uk=fail_max:3"]  # fmt: skip
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.stderr
    config = load_config(tmp_path / "breakers.yaml", env={})
    assert config.effective("api.crossref.org").reset_timeout_s == 90
    assert config.effective("api.crossref.org").fail_max == 7
    assert config.effective("www.ebi.ac.uk").fail_max == 3
    assert config.effective("api.openalex.org").reset_timeout_s == 20  # its own 900 replaced
    bad = CliRunner().invoke(app, [*args[:-2], "--breaker", "no-equals-sign", "--force"])
    assert bad.exit_code == 2 and "--breaker" in bad.stderr


def test_truth_health_covers_new_truth_fields(tmp_path):
    from advisor.advice.replay import load_timelines
    from advisor.pipeline import analyze
    from tests.helpers.truth import truth_health

    result, truth = run_of("down-whole-window", tmp_path, 0.25)
    analysis = analyze([result.out_dir], window_s=900, until=END, config=result.config)
    try:
        timelines = load_timelines(analysis.con, analysis.window, warmup_s=0)
        checked = 0
        for host, facts in truth["hosts"].items():
            if host not in timelines:
                continue
            health = truth_health(truth, timelines[host])
            share = health.down_us / health.length
            assert share == (1.0 if facts["outages"] else 0.0), host
            checked += 1
        assert checked == len(truth["hosts"])
    finally:
        analysis.con.close()


def test_seed_compatible_and_resolver_breakers_from_the_cli(tmp_path):
    """--seed-compatible writes Julian days and the view; --resolver routes hosts through
    a resolver's own breaker, tuned by --breaker-resolver, written under its name."""
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app,
        [
            "simulate", "--scenario", "outage", "--hours", "0.5", "--seed", "5",
            "--end", str(END), "--out", str(out), "--seed-compatible",
            "--resolver", "crossref=api.crossref.org,api.openalex.org",
            "--breaker-resolver", "crossref=fail_max:2,reset:20",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    manifest = out / "manifest.sqlite3"
    with sqlite3.connect(manifest) as con:
        low, high = con.execute("SELECT min(ts), max(ts) FROM breaker_events").fetchone()
        kinds = dict(con.execute("SELECT name, type FROM sqlite_master"))
        scopes = con.execute(
            "SELECT host, count(*) FROM breaker_events "
            "WHERE json_extract(details, '$.scope') = 'resolver' GROUP BY host"
        ).fetchall()
        opens = con.execute(
            "SELECT count(*) FROM breaker_events WHERE host = 'crossref' "
            'AND details LIKE \'%"new_state":"OPEN"%\''
        ).fetchone()[0]
        reset = con.execute(
            "SELECT DISTINCT json_extract(details, '$.reset_timeout_s') FROM breaker_events "
            "WHERE host = 'crossref' AND event_type = 'state_change'"
        ).fetchall()
    julian_end = resolve_end(END) / 86400 + 2440587.5
    assert julian_end - 0.5 / 24 - 1e-6 <= low <= high <= julian_end + 1e-6
    assert kinds["breaker_state_transitions"] == "view"
    assert [host for host, _ in scopes] == ["crossref"]
    assert opens > 0 and reset == [(20.0,)]
    config = load_config(out / "breakers.yaml", env={})
    assert config.effective("crossref").fail_max == 2  # the run's breakers.yaml has it


def test_resolver_hosts_must_be_the_scenarios(tmp_path):
    with pytest.raises(UsageError, match="has no host 'nope.example.org'"):
        simulate(
            "outage", tmp_path / "x", hours=0.1, end=END, resolvers={"r": ["nope.example.org"]}
        )
