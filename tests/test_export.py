"""``breaker-advisor export`` (advisor/outputs/openmetrics.py, advisor/cli/export.py): the
exposition parses with prometheus_client's own parsers, its names follow Prometheus
conventions, and its numbers are the JSON contract's for the same window."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families
from prometheus_client.parser import text_string_to_metric_families as parse_prometheus
from typer.testing import CliRunner

from advisor.cli.app import app
from advisor.simulate import simulate
from tests.helpers import manifests as m
from tests.helpers.manifests import T0, call, change

ROOT = Path(__file__).resolve().parents[1]
END = "2026-01-15T06:00:00Z"
WINDOW = ("--until", END, "--window-s", "3600")

# Prometheus naming: snake case under our prefix; counters' samples end in _total (or
# _created); a unit is a base unit spelled out at the end; no abbreviated units.
NAME = re.compile(r"^breaker_advisor_[a-z][a-z0-9_]*[a-z0-9]$")
ABBREVIATED = re.compile(r"_(s|ms|sec|secs|pct|percent)$|_s_")


@pytest.fixture(scope="module")
def flapping(tmp_path_factory):
    """A simulated run with opens, refused calls and advice (breakers.yaml mis-tuned)."""
    return simulate("flapping", tmp_path_factory.mktemp("flap"), hours=0.3, seed=3, end=END)


def run(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def export(tmp_path, *args: object, fmt: str = "openmetrics") -> str:
    out = tmp_path / f"advisor.{fmt}.prom"
    code, _, err = run("export", "--format", fmt, "--out", out, *args)
    assert code == 0, err
    return out.read_text()


def samples(text: str, parser=text_string_to_metric_families) -> dict[str, dict]:
    """{sample name: {frozenset(labels): value}} from the parsed text."""
    found: dict[str, dict] = defaultdict(dict)
    for family in parser(text):
        for s in family.samples:
            found[s.name][frozenset(s.labels.items())] = s.value
    return found


def test_export_parses_and_names_follow_prometheus_conventions(flapping, tmp_path):
    text = export(tmp_path, flapping.manifest, "--config", flapping.config, *WINDOW)
    assert text.endswith("# EOF\n")
    families = list(text_string_to_metric_families(text))
    names = {f.name for f in families}
    assert {"breaker_advisor_opens", "breaker_advisor_refused_calls",
            "breaker_advisor_open_time_ratio", "breaker_advisor_half_open_success_ratio",
            "breaker_advisor_reset_timeout_seconds", "breaker_advisor_fail_max",
            "breaker_advisor_expected_cost_saving"} <= names  # fmt: skip
    for family in families:
        assert NAME.match(family.name), family.name
        assert not ABBREVIATED.search(family.name), family.name
        if family.unit:
            assert family.name.endswith("_" + family.unit)
        if "time" in family.name or "timeout" in family.name or "cap" in family.name:
            assert family.name.endswith(("_seconds", "_ratio")), family.name
        if family.name.endswith("_ratio"):
            assert all(0 <= s.value <= 1 for s in family.samples), family.name
        for s in family.samples:
            if family.type == "counter":
                assert s.name in (family.name + "_total", family.name + "_created")
            else:
                assert s.name == family.name
                assert not s.name.endswith("_total")
            assert set(s.labels) <= {"host", "role", "kind"}
    # the Prometheus text format carries the same samples (node_exporter reads this one)
    prom = export(tmp_path, flapping.manifest, "--config", flapping.config, *WINDOW,
                  fmt="prometheus")  # fmt: skip
    ours = samples(text)
    theirs = samples(prom, parse_prometheus)
    for name, values in ours.items():
        assert theirs[name] == values, name


def test_export_agrees_with_the_json_contract(flapping, tmp_path):
    """Opens, refused calls, open time share and settings per host: the JSON contract's,
    for the same window and configuration."""
    args = (flapping.manifest, "--config", flapping.config, *WINDOW)
    code, out, err = run("advise", "--format", "json", *args)
    assert code == 0, err
    contract = json.loads(out)
    got = samples(export(tmp_path, *args))
    start = datetime.fromisoformat(contract["window"]["start"]).timestamp()
    opened = 0
    for host in contract["hosts"]:
        labels = frozenset({"host": host["host"], "role": ""}.items())
        metrics = host["metrics"]
        assert got["breaker_advisor_opens_total"][labels] == metrics["opens"]
        assert got["breaker_advisor_opens_created"][labels] == start
        assert got["breaker_advisor_refused_calls_total"][labels] == metrics["rejected"]
        assert got["breaker_advisor_calls_total"][labels] == metrics["calls"]
        ratio = metrics["open_time_s"] / metrics["active_s"]
        assert got["breaker_advisor_open_time_ratio"][labels] == pytest.approx(ratio)
        opened += metrics["opens"]
        for parameter, name in (("fail_max", "fail_max"),
                                ("reset_timeout_s", "reset_timeout_seconds")):  # fmt: skip
            current = host["current"][parameter]
            advised = {r["parameter"]: r["suggested"] for r in host["recommendations"]}
            recommended = advised.get(parameter, current)
            kinds = {kind: got["breaker_advisor_" + name][labels | {("kind", kind)}]
                     for kind in ("current", "recommended")}  # fmt: skip
            assert kinds == {"current": current, "recommended": recommended}
        changes = [r for r in host["recommendations"] if r["suggested"] != r["current"]]
        costs = [r["evidence"]["expected_cost"] for r in changes
                 if "expected_cost" in r["evidence"]]  # fmt: skip
        saving = costs[0]["current"] - costs[0]["suggested"] if costs else 0.0
        assert got["breaker_advisor_expected_cost_saving"][labels] == pytest.approx(saving)
    assert opened > 0  # the run has something to count
    assert any(v > 0 for v in got["breaker_advisor_expected_cost_saving"].values())


HOSTILE = 'we"ird\\host.example'
H = "two.example"
META = {"role": "metadata"}


def test_role_breakers_and_hostile_host_names(tmp_path):
    """A role's own breaker is its own series (the host's row is their sum); a host name
    with a quote and a backslash is escaped by the library and read back intact."""
    rows = [
        call(T0 + 7, H, "failure"),
        change(T0 + 10, H, "closed", "open"),
        change(T0 + 20, H, "closed", "open", **META),
        change(T0 + 70, H, "open", "half_open"),
        change(T0 + 70.0002, H, "half_open", "closed"),
        change(T0 + 80, H, "open", "half_open", **META),
        change(T0 + 80.0002, H, "half_open", "open", **META),
        call(T0 + 1, HOSTILE, "failure"),
        change(T0 + 2, HOSTILE, "closed", "open"),
        call(T0 + 30, HOSTILE, "rejected", "open"),
    ]
    path = m.breaker_events(tmp_path / "m.sqlite3", rows)
    until = ("--until", datetime.fromtimestamp(T0 + 3600, UTC).isoformat())
    got = samples(export(tmp_path, path, *until))["breaker_advisor_opens_total"]
    assert got == {
        frozenset({"host": H, "role": ""}.items()): 1,
        frozenset({"host": H, "role": "metadata"}.items()): 2,
        frozenset({"host": HOSTILE, "role": ""}.items()): 1,
    }
    code, out, _ = run("advise", "--format", "json", path, *until)
    assert {h["host"]: h["metrics"]["opens"] for h in json.loads(out)["hosts"]} == {
        H: 3,
        HOSTILE: 1,
    }


def test_export_writes_atomically_and_never_over_a_source(flapping, tmp_path):
    out = tmp_path / "advisor.prom"
    out.write_text("old\n")
    out.chmod(0o640)
    code, _, err = run("export", flapping.manifest, *WINDOW, "--out", out)
    assert code == 0, err
    assert out.read_text().startswith("# HELP breaker_advisor_")
    assert out.stat().st_mode & 0o777 == 0o640  # replaced, not recreated with other bits
    assert [p.name for p in tmp_path.iterdir()] == ["advisor.prom"]  # no temporary left
    before = flapping.manifest.read_bytes()
    code, _, err = run("export", flapping.manifest, *WINDOW, "--out", flapping.manifest)
    assert code == 2 and "refusing to overwrite the source" in err
    assert flapping.manifest.read_bytes() == before


def test_export_to_stdout_and_a_bad_format(flapping):
    code, out, _ = run("export", flapping.manifest, *WINDOW, "--format", "prometheus")
    assert code == 0 and "breaker_advisor_opens_total{" in out and "# EOF" not in out
    code, _, err = run("export", flapping.manifest, *WINDOW, "--format", "json")
    assert code == 2 and "openmetrics" in err


def served_sample_names(flapping) -> set[str]:
    """Every sample name ``serve`` writes (the export's and its own health), from a real
    run of its analysis loop."""
    from prometheus_client.exposition import generate_latest

    from advisor.serve import MetricsServer
    from tests.helpers import serve as serving

    server = MetricsServer(partial(serving.analysis, flapping.manifest, flapping.config, END))
    try:
        assert server.run_once()
    finally:
        server.stop()
    text = generate_latest(server.registry).decode()
    return {s.name for f in parse_prometheus(text) for s in f.samples}


def test_grafana_dashboard_and_alert_rules_name_series_the_exporter_writes(flapping):
    import yaml

    dashboard = json.loads((ROOT / "deploy" / "grafana-dashboard.json").read_text())
    for key in ("title", "uid", "schemaVersion", "panels", "templating"):
        assert key in dashboard, key
    assert isinstance(dashboard["schemaVersion"], int)
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert "host" in variables and variables["host"]["type"] == "query"
    written = served_sample_names(flapping)
    exprs = [variables["host"]["definition"]]
    ids = set()
    for panel in dashboard["panels"]:
        assert {"id", "type", "title", "datasource", "targets", "gridPos"} <= set(panel)
        assert set(panel["gridPos"]) == {"h", "w", "x", "y"}
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        ids.add(panel["id"])
        assert panel["targets"]
        for target in panel["targets"]:
            assert target["refId"] and target["expr"]
            exprs.append(target["expr"])
    assert len(ids) == len(dashboard["panels"])
    rules = yaml.safe_load((ROOT / "deploy" / "prometheus-alerts.yml").read_text())
    alerts = [r for g in rules["groups"] for r in g["rules"]]
    assert any(r["alert"] == "BreakerHostCutOff" for r in alerts)
    exprs += [r["expr"] for r in alerts]
    for expr in exprs:
        names = re.findall(r"\bbreaker_advisor_[a-z0-9_]+", expr)
        assert names, expr
        for name in names:
            assert name in written, (name, expr)
