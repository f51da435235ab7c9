"""The simulator: determinism, truth.json against the events, and the advisor reading
its output."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time

import pytest
from typer.testing import CliRunner

from advisor.cli import advise_app, app
from advisor.config import load_config
from advisor.errors import UsageError
from advisor.simulate import SCENARIOS, default_workers, resolve_end, simulate

END = "2027-01-15T08:00:00Z"
END_TS = 1_800_000_000.0


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
    for bad in (0, -1, "x", "1.5", True):
        with pytest.raises(UsageError, match="--workers must be a positive number or 'auto'"):
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
