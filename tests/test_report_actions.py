"""The report's content (issue 16): the Actions section first, one row per change, the
breakers.yaml patch equal to ``--format yaml``, keep notes out of the summary, evidence in
plain words, the reproduction block (config hash computed here with hashlib), shares of
active time, the report's own generation time, fleet incidents naming their hosts and the
nightly statuses near the top."""

from __future__ import annotations

import hashlib
import html as htmllib
import re
from datetime import UTC, datetime

import pytest
import yaml
from typer.testing import CliRunner

from advisor import analyze
from advisor.cli.app import advise_app
from advisor.model import Recommendation
from advisor.nightly.outputs import nightly_data
from advisor.nightly.stability import Advice, StabilityRules
from advisor.outputs.report import render_report
from advisor.pipeline import report_data
from tests.helpers import manifests as m
from tests.helpers.manifests import T0, call, change
from tests.helpers.report import fixed_analysis
from tests.helpers.slow_host import HOURS, slow_host

CONFIG = """\
defaults:
  fail_max: 3
  reset_timeout_s: 10
"""


def section_ids(html: str) -> list[str]:
    return re.findall(r'<section (?:class="[^"]*" )?id="([^"]+)"', html)


def block(html: str, element_id: str) -> str:
    """The text of the <pre id=...> block (unescaped)."""
    found = re.search(rf'<pre [^>]*id="{element_id}"><code>(.*?)</code></pre>', html, re.S)
    assert found, element_id
    return htmllib.unescape(found.group(1))


def action_rows(html: str) -> list[tuple[str, str]]:
    table = html[
        html.index('id="action-table"') : html.index("</table>", html.index('id="action-table"'))
    ]
    return re.findall(
        r'<tr data-host="([^"]*)" data-breaker="[^"]*" data-parameter="([^"]*)">', table
    )


@pytest.fixture(scope="module")
def slow_run(tmp_path_factory):
    """The slow host (real rules: it gets changes) through the CLI: the HTML report,
    ``--format yaml`` and the JSON contract of the same analysis."""
    tmp = tmp_path_factory.mktemp("slow")
    source = m.breaker_events(tmp / "manifest.sqlite3", slow_host(10).rows)
    config = tmp / "breakers.yaml"
    config.write_text(CONFIG)
    args = ["--until", str(T0 + 6 * HOURS), "--window-s", str(6 * HOURS), "--config", str(config)]
    runner = CliRunner()
    out = tmp / "report.html"
    result = runner.invoke(advise_app, [*args, "--format", "yaml", "--html", str(out), str(source)])
    assert result.exit_code == 0, result.output
    json_run = runner.invoke(advise_app, [*args, "--format", "json", str(source)])
    assert json_run.exit_code == 0, json_run.output
    import json

    return {
        "html": out.read_text(),
        "yaml": result.stdout,
        "contract": json.loads(json_run.stdout),
        "config": config,
        "source": source,
    }


def test_actions_is_the_first_section_after_the_headline(slow_run):
    html = slow_run["html"]
    assert html.index('id="headline"') < html.index('<section id="actions"')
    assert section_ids(html)[0] == "actions"
    assert '<a href="#actions">' in html  # in the navigation


def test_one_action_row_per_change(slow_run):
    changes = [
        (h["host"], r["parameter"])
        for h in slow_run["contract"]["hosts"]
        for r in h["recommendations"]
        if r["suggested"] != r["current"]
    ]
    assert changes, "the slow host gets changes"
    assert action_rows(slow_run["html"]) == changes


def test_patch_block_is_the_yaml_output(slow_run):
    patch = block(slow_run["html"], "patch-yaml")
    assert patch == slow_run["yaml"]
    parsed = yaml.safe_load(patch)
    for h in slow_run["contract"]["hosts"]:
        for r in h["recommendations"]:
            if r["suggested"] != r["current"]:
                assert parsed["hosts"][h["host"]][r["parameter"]] == r["suggested"]


def test_write_config_command_writes_the_patched_config(slow_run, tmp_path):
    command = block(slow_run["html"], "write-config-command").split()
    assert command[0] == "breaker-advise" and command[-2] == "--write-config"
    target = tmp_path / "patched.yaml"
    result = CliRunner().invoke(advise_app, [*command[1:-1], str(target)])
    assert result.exit_code == 0, result.output
    written = yaml.safe_load(target.read_text())
    assert written["defaults"] == yaml.safe_load(CONFIG)["defaults"]
    assert written["hosts"] == {
        host: {k: v for k, v in knobs.items()}
        for host, knobs in yaml.safe_load(slow_run["yaml"])["hosts"].items()
    }


def test_reproduction_block_has_the_config_hash_and_pins_the_window(slow_run):
    html = slow_run["html"]
    digest = hashlib.sha256(slow_run["config"].read_bytes()).hexdigest()
    section = html[html.index('id="reproduce"') : html.index('<section id="summary"')]
    assert digest in section
    command = block(html, "reproduce-command")
    end = datetime.fromtimestamp(T0 + 6 * HOURS, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    assert f"--until {end}" in command and f"--config {slow_run['config']}" in command
    assert "<dt>--lost-weight</dt><dd><code>0.5</code></dd>" in section
    from advisor.version import __version__

    assert f"<code>{__version__}</code>" in section


def test_evidence_is_in_plain_words_with_the_applied_values_replay(slow_run):
    html = slow_run["html"]
    cards = html[html.index('<section id="hosts"') : html.index('<section id="data-quality"')]
    for raw in (
        "unclamped",
        "streak continue p",
        "regret vs gain",
        "detect_s",
        "current wasted",
        "confidence share",
        "request rate per s",
        "optimum setting",
        "expected cost",
    ):
        assert raw not in cards, raw
    assert "Calls into a down host" in cards and "Healthy calls refused" in cards
    rec = next(
        r
        for h in slow_run["contract"]["hosts"]
        for r in h["recommendations"]
        if "replay" in r["evidence"]
    )
    replayed = rec["evidence"]["replay"]["suggested"]
    table = cards[cards.index('data-table="replay"') :]
    row = re.search(r'<tr data-row="with the change">(.*?)</tr>', table, re.S).group(1)
    cells = re.findall(r'<td class="num">([^<]*)</td>', row)
    assert cells[:2] == [f"{replayed['wasted']:,}", f"{replayed['lost']:,}"]


def test_held_back_target_is_shown_apart_from_the_applied_value(tmp_path):
    analysis = fixed_analysis(tmp_path)
    host = next(h for h in analysis.hosts if h.host == "flaky.example")
    host.current = {"fail_max": 5, "reset_timeout_s": 60.0, "success_threshold": 1}
    evidence = {
        "expected_cost": {"current": 300.0, "suggested": 20.0, "optimum": 18.0},
        "expected": {
            "current": {"cost": 300.0, "wasted": 10.0, "lost": 580.0},
            "suggested": {"cost": 20.0, "wasted": 2.8, "lost": 34.4},
        },
        "optimum_setting": {"fail_max": 4, "reset_timeout_s": 1105, "success_threshold": 1},
        "unclamped": 1105.0,
        "replay": {
            "current": {
                "wasted": 11,
                "lost": 600,
                "cost": 311.0,
                "opens": 4,
                "detect_s": 3.2,
                "resume_s": 50.0,
            },
            "suggested": {
                "wasted": 9,
                "lost": 90,
                "cost": 54.0,
                "opens": 3,
                "detect_s": 3.2,
                "resume_s": 20.0,
            },
        },
    }
    host.recommendations = [
        Recommendation("reset_timeout_s", 60.0, 300.0, "high", "recovery-time", ("r",), evidence)
    ]
    html = render_report(report_data(analysis))
    card = html[html.index('<article class="card" data-parameter="reset_timeout_s">') :]
    card = card[: card.index("</article>")]
    model = card[card.index('data-table="model"') : card.index("</table>")]
    assert "not priced by the model" in model  # the applied 300 s has no model figures
    target = re.search(r'<tr data-row="model&#39;s target[^"]*">(.*?)</tr>', model, re.S).group(1)
    assert "reset_timeout_s 1105 s" in target and ">~3<" in target  # 2.8 wasted: the target's
    row = re.search(
        r'<tr data-row="with the change">(.*?)</tr>',
        card[card.index('data-table="replay"') :],
        re.S,
    )
    assert (
        "reset_timeout_s 300 s" in row.group(1) and ">9<" in row.group(1) and ">90<" in row.group(1)
    )
    actions = html[html.index('id="action-table"') : html.index('<section id="summary"')]
    assert "9 calls into a down host, 90 healthy calls refused" in actions  # the applied value
    assert "replayed on the recorded calls" in actions


def test_keep_notes_leave_the_summary_table(tmp_path):
    html = render_report(report_data(fixed_analysis(tmp_path)))
    table = html[html.index('id="host-table"') :]
    table = table[: table.index("</table>")]
    assert "keep" not in table  # the script-named host's keep note is in its card only
    assert "keep 30" in html[html.index('<section id="hosts"') :]
    assert action_rows(html) == [("flaky.example", "fail_max")]


def test_open_share_is_of_the_hosts_active_time(tmp_path):
    rows = [
        call(T0 + t, "one.example", "success") for t in range(100, 1001, 10) if not 495 <= t <= 560
    ]
    rows += [
        *[call(T0 + 495 + i, "one.example", "failure", status=503) for i in range(5)],
        change(T0 + 500, "one.example", "closed", "open", reset_timeout_s=60),
        change(T0 + 560, "one.example", "open", "half_open"),
        call(T0 + 560.1, "one.example", "success", "half_open"),
        change(T0 + 560.2, "one.example", "half_open", "closed"),
    ]
    source = m.breaker_events(tmp_path / "m.sqlite3", rows)
    analysis = analyze(source, window_s=3600, until=T0 + 3600)
    html = render_report(report_data(analysis))
    # by hand: open 500 -> 560 = 60 s; calls from T0+100 to T0+1000, no gap over 600 s
    share = 60 / (1000 - 100)
    assert f"{share * 100:.1f} %" == "6.7 %"
    cell = re.search(r'data-key="open_time_s"[^>]*>([^<]*)</td>', html).group(1)
    assert cell == "6.7 %"  # not 60 / 3600 = 1.7 % of the window
    assert "Open (% of active time)" in html
    assert "6.7 % of its active time" in html


def test_generated_is_when_the_report_was_made(tmp_path, monkeypatch):
    analysis = fixed_analysis(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(T0 + 86400)))
    data = report_data(analysis)
    assert data["generated_at"] == "2026-01-16T08:00:00Z"
    html = render_report(data)
    assert "generated 2026-01-16T08:00:00Z" in html
    assert "2026-01-15 09:00:00Z" in html  # the window end, shown on its own


def test_fleet_incident_warning_links_its_hosts(tmp_path):
    data = report_data(fixed_analysis(tmp_path))
    hosts = ["down.example", "ok.example", "gone.example"]
    data["contract"]["incidents"] = [
        {
            "start": "2026-01-15T08:10:00Z",
            "end": "2026-01-15T08:10:30Z",
            "hosts": hosts,
            "active_hosts": 4,
            "p_value": 0.001,
        }
    ]
    data["contract"]["warnings"].append("fleet incident 2026-01-15T08:10:00Z: 3 of 4 ...")
    html = render_report(data)
    summary = html[html.index('<section id="summary"') : html.index('id="attention"')]
    item = re.search(r'<li class="warning incident">(.*?)</li>', summary, re.S).group(1)
    for name in hosts[:2]:
        anchor = re.search(rf'<a href="#(host-\d+)" data-anchor="host-\d+">{name}</a>', html).group(
            1
        )
        assert f'<a href="#{anchor}">{name}</a>' in item
    assert "gone.example (not in this report)" in item
    assert "3 of 4 ..." not in summary  # the plain warning is replaced by the linked one


def test_nightly_statuses_follow_the_actions(tmp_path):
    data = report_data(fixed_analysis(tmp_path))
    advice = [
        Advice(
            "flaky.example", "fail_max", 5, 8, "up", "high", "false-open", "confirmed", False, 3, {}
        ),
        Advice(
            "ok.example", "reset_timeout_s", 60, 30, "down", "low", "r", "withdrawn", False, 0, {}
        ),
    ]
    data["nightly"] = nightly_data(datetime(2026, 1, 15).date(), advice, StabilityRules())
    html = render_report(data)
    assert section_ids(html)[:2] == ["actions", "nightly-advice"]
    assert '<a href="#nightly-advice">' in html
    nightly = html[html.index('<section id="nightly-advice"') :]
    assert re.findall(r'data-status="(\w+)"', nightly) == ["confirmed", "withdrawn"]
    row = re.search(r'<tr data-host="flaky.example"[^>]*>(.*?)</tr>', html, re.S).group(1)
    assert "<td>confirmed</td>" in row
