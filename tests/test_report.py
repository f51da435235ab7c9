"""The HTML report: structure (golden outline), numbers equal to the JSON contract,
chart data consistent with the metrics, escaping of hostile host names, offline-ness,
templates, the report-data document (saved, reloaded, rendered byte-identically) and the
CLI entry points."""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import escape
from typer.testing import CliRunner

from advisor import analyze
from advisor.cli.app import advise_app, app
from advisor.errors import UsageError
from advisor.metrics.series import ReportSeries
from advisor.outputs.report import (
    load_report_data,
    render_report,
    save_report,
    save_report_data,
)
from advisor.outputs.report.data import dumps
from advisor.outputs.report.formatting import pct
from advisor.outputs.report.render import environment
from advisor.pipeline import report_data
from tests.helpers.manifests import T0
from tests.helpers.report import (
    FIXED_ADVICE,
    UNTIL,
    XSS,
    fixed_analysis,
    report_manifest,
    validate_figures,
)

GOLDEN = Path(__file__).parent / "golden" / "report_outline.txt"
REFRESH = "REFRESH_GOLDEN"  # REFRESH_GOLDEN=1 pytest tests/test_report.py rewrites GOLDEN


@pytest.fixture
def analysis(tmp_path):
    return fixed_analysis(tmp_path)


@pytest.fixture
def data(analysis):
    return report_data(analysis)


@pytest.fixture
def html(data):
    return render_report(data)


def series_of(data) -> ReportSeries:
    """The chart series as a reader of a saved document gets them (through JSON)."""
    return ReportSeries.from_dict(json.loads(dumps(data))["series"])


# --- structure ------------------------------------------------------------------------


class Outline(HTMLParser):
    """The page's skeleton: sections, headings, table heads, charts and cards."""

    HEADINGS = {"h1", "h2", "h3", "h4", "caption"}

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.depth = 0
        self.capture: str | None = None
        self.text: list[str] = []
        self.in_head = False

    def emit(self, text: str) -> None:
        self.lines.append("  " * self.depth + text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "section":
            self.emit(f"section #{a.get('id', '')}")
            self.depth += 1
        elif tag == "div" and "chart" in a.get("class", "").split():
            self.emit(f"chart {a['data-kind']}")
        elif tag == "article":
            self.emit(f"card {a.get('data-parameter', '')}")
        elif tag == "details" and "chart-data" in a.get("class", "").split():
            self.emit(f"numbers by {a.get('data-label', '')} ({a.get('data-rows', '')})")
        elif tag == "thead":
            self.in_head = True
        elif tag in self.HEADINGS or (tag == "th" and self.in_head) or tag == "strong":
            self.capture, self.text = tag, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.depth -= 1
        elif tag == "thead":
            self.in_head = False
        elif tag == self.capture:
            self.emit(f"{tag} {' '.join(''.join(self.text).split())}")
            self.capture = None

    def handle_data(self, data: str) -> None:
        if self.capture:
            self.text.append(data)


def outline(html: str, tmp_path: Path) -> str:
    parser = Outline()
    parser.feed(html.replace(str(tmp_path), "TMP"))
    return "\n".join(parser.lines) + "\n"


def test_golden_outline(html, tmp_path):
    got = outline(html, tmp_path)
    if os.environ.get(REFRESH):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(got)
    assert got == GOLDEN.read_text(), f"structure changed; refresh with {REFRESH}=1 if intended"


def test_golden_refresh_switch_is_off():
    assert not os.environ.get(REFRESH), f"unset {REFRESH}: it rewrites the golden file"


def test_sections_and_anchors(html, analysis):
    for section in ("summary", "fleet", "hosts", "data-quality"):
        assert f'<section id="{section}"' in html
    links = re.findall(r'<a href="#(host-\d+)" data-anchor', html)
    assert len(links) == len(analysis.hosts) == 4
    for anchor in links:
        assert f'<section class="host" id="{anchor}"' in html
    from advisor.outputs.report.render import plotly_bundle as get_plotlyjs

    ids = re.findall(r'\sid="([^"]*)"', html.replace(get_plotlyjs(), ""))
    assert len(ids) > 20
    assert [i for i in ids if not re.fullmatch(r"[a-z0-9-]+", i)] == [], "ids are safe slugs"


class Rows(HTMLParser):
    """``{host: {key: (data-value, text)}}`` from the summary's host table."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, dict[str, tuple[str, str]]] = {}
        self.host: str | None = None
        self.key: tuple[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "tr" and "data-host" in a:
            self.host = a["data-host"]
            self.rows[self.host] = {}
        elif tag == "td" and self.host and "data-key" in a:
            self.key = (a["data-key"], a["data-value"] or "")
            self.rows[self.host][self.key[0]] = (self.key[1], "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self.host = None
        elif tag == "td":
            self.key = None

    def handle_data(self, data: str) -> None:
        if self.host and self.key:
            value, text = self.rows[self.host][self.key[0]]
            self.rows[self.host][self.key[0]] = (value, text + data.strip())


def summary_rows(html: str) -> dict[str, dict[str, tuple[str, str]]]:
    parser = Rows()
    parser.feed(html.split('id="host-table"')[1].split("</table>")[0])
    return parser.rows


def test_summary_numbers_equal_the_json_output(tmp_path):
    source = report_manifest(tmp_path / "manifest.sqlite3")
    out = tmp_path / "report.html"
    window = ["--window-s", "3600", "--until", str(UNTIL)]
    runner = CliRunner()
    result = runner.invoke(app, ["report", str(source), *window, "--out", str(out)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(advise_app, ["--format", "json", *window, str(source)])
    assert result.exit_code == 0, result.output
    contract = json.loads(result.stdout)
    html = out.read_text()
    rows = summary_rows(html)
    assert list(rows) == [  # attention order: changes first, then open time
        h["host"]
        for h in sorted(
            contract["hosts"],
            key=lambda h: (
                -sum(r["suggested"] != r["current"] for r in h["recommendations"]),
                -h["metrics"]["open_time_s"],
                -h["metrics"]["opens"],
                -h["metrics"]["failure_rate"],
                h["host"],
            ),
        )
    ]
    for item in contract["hosts"]:
        metrics, row = item["metrics"], rows[item["host"]]
        for key in ("opens", "open_time_s", "failure_rate", "half_open_success_rate"):
            assert json.loads(row[key][0]) == metrics[key], (item["host"], key)
        assert row["opens"][1] == str(metrics["opens"])
        assert row["open_time_s"][1] == pct(min(1.0, metrics["open_time_s"] / metrics["active_s"]))
        assert row["half_open_success_rate"][1] == pct(metrics["half_open_success_rate"])
    calls = sum(h["metrics"]["calls"] for h in contract["hosts"])
    assert f'<dd data-key="calls">{calls:,}</dd>' in html


def test_headline_counts_changes_and_names_the_worst_host(analysis, html):
    down = next(h for h in analysis.hosts if h.host == "down.example")
    share = pct(min(1.0, down.metrics["open_time_s"] / down.metrics["active_s"]))
    expected = (
        f"1 host needs changes; down.example was cut off by its breaker {share} of its active time."
    )
    assert f'<p class="headline" id="headline">{expected}</p>' in html


def test_recommendation_cards_show_reasons_and_evidence(html):
    assert "<code>fail_max</code>: 5 → 8</h4>" in html
    assert "noise streaks of 5 open the breaker" in html
    assert "<dt>chance a failure streak goes on one more call</dt><dd>25 %</dd>" in html
    assert "<code>reset_timeout_s</code>: keep 30</h4>" in html  # a note, not a change


# --- chart data agrees with the metrics -------------------------------------------------


def test_chart_series_add_up_to_the_metrics(analysis, data):
    series = series_of(data)
    for host in analysis.hosts:
        metrics, data = host.metrics, series.hosts[host.host]
        opens = series.opens.get(host.host)
        assert (0 if opens is None else int(opens.sum())) == metrics["opens"]
        assert int(data.failures.sum()) == metrics["failures"]
        assert int(data.trial_successes.sum()) == metrics["half_open_successes"]
        assert int(data.trial_failures.sum()) == metrics["half_open_failures"]
        assert sum(n for n, _ in data.durations["open"].values()) == metrics["opens"]
        assert sum(n for n, _ in data.durations["episode"].values()) == metrics["episodes"]
        open_s = sum(data.bands.open_s)
        assert open_s == pytest.approx(metrics["open_time_s"]), host.host


def test_failure_streaks_and_what_ended_them(data):
    streaks = series_of(data).hosts["flaky.example"].streaks
    assert streaks == {"success": {1: 1, 2: 1}, "open": {5: 1}, "end": {1: 1}}
    assert series_of(data).hosts["down.example"].streaks == {
        "success": {},
        "open": {5: 1},
        "end": {},
    }


def test_censored_and_inferred_data_are_reported(data, html):
    down = series_of(data).hosts["down.example"]
    assert (down.censored_opens, down.censored_episodes) == (1, 1)
    assert down.bands.censored == [True]
    assert "1 open stay(s) still open at the window end" in html
    assert '<section id="data-quality"' in html


# --- escaping and offline ----------------------------------------------------------------


def test_script_host_is_escaped_in_html_and_json_blocks(html):
    assert XSS not in html
    assert "<b>1</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    blocks = re.findall(r'<script type="application/json" id="([^"]+)">(.*?)</script>', html, re.S)
    assert len(blocks) > 5
    decoded = []
    for block_id, text in blocks:
        assert "<" not in text and ">" not in text, block_id
        decoded.append(json.dumps(json.loads(text)))
    assert any("alert(1)" in d for d in decoded)
    assert len(re.findall(r"<script\b", html)) == len(blocks) + 2  # plotly.js + the page script


def test_page_is_self_contained(html):
    from advisor.outputs.report.render import plotly_bundle as get_plotlyjs

    bundle = get_plotlyjs()
    assert html.count(bundle[:200]) == 1, "Plotly inlined exactly once"
    page = html.replace(bundle, "")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_environment_is_built_once_and_autoescapes():
    env = environment()
    assert env is environment()
    assert env.autoescape is True


def test_user_templates_come_first(data, tmp_path):
    folder = tmp_path / "templates"
    folder.mkdir()
    custom = '<section id="fleet"><p>{{ "<custom>" }}</p></section>\n'
    (folder / "_fleet.html.j2").write_text(custom)
    html = render_report(data, templates=folder)
    assert "<p>&lt;custom&gt;</p>" in html
    assert '<section id="summary"' in html


def test_empty_window_renders(tmp_path):
    source = report_manifest(tmp_path / "manifest.sqlite3")
    html = render_report(report_data(analyze(source, window_s=60, until=T0 - 3600)))
    assert "No breaker telemetry in this window." in html
    assert 'class="chart"' not in html


def test_save_report_raises_usage_error_when_unwritable(data, tmp_path):
    with pytest.raises(UsageError, match="cannot write the report"):
        save_report(data, tmp_path / "missing" / "report.html")


# --- CLI --------------------------------------------------------------------------------


def test_advise_html_writes_the_report_too(tmp_path):
    source = report_manifest(tmp_path / "manifest.sqlite3")
    out = tmp_path / "advise.html"
    result = CliRunner().invoke(
        advise_app,
        ["--window-s", "3600", "--until", str(UNTIL), "--html", str(out), str(source)],
    )
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("<!doctype html>")
    assert "flaky.example" in result.stdout  # the table is still printed


def test_report_command_exit_codes(tmp_path):
    source = report_manifest(tmp_path / "manifest.sqlite3")
    (tmp_path / "broken.sqlite3").write_bytes(b"not a database")
    out = tmp_path / "report.html"
    runner = CliRunner()
    result = runner.invoke(app, ["report", str(tmp_path), "--until", str(UNTIL), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "broken.sqlite3: not analysed" in result.stderr
    assert out.is_file()
    result = runner.invoke(
        app, ["report", str(source), "--out", str(tmp_path / "no" / "such" / "dir.html")]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: cannot write the report")


def test_every_figure_passes_plotlys_validators(html):
    # go.Figure(...) raises on any unknown property or value
    assert validate_figures(html) == html.count('class="chart"') == 13


# --- trade-offs ---------------------------------------------------------------------------


def host_section(html: str, host: str) -> str:
    """The ``<section class="host">`` of ``host``."""
    pattern = (
        rf'<section class="host" id="host-\d+"[^>]*data-host="{re.escape(host)}">(.*?)</section>'
    )
    return re.search(pattern, html, re.S).group(1)


def test_trade_off_points_are_charted_for_a_host_with_a_breaker_change(data, html):
    """Only flaky.example has a replayable change (FIXED_ADVICE: fail_max 5 -> 8; the other
    advice keeps its value); its chart draws the document's points."""
    assert list(data["trade_offs"]) == ["flaky.example"]
    trade = data["trade_offs"]["flaky.example"]
    change = FIXED_ADVICE["flaky.example"][0]
    assert (trade["current"]["fail_max"], trade["current"]["reset_timeout_s"]) == (5, 60)
    assert (trade["suggested"]["fail_max"], trade["suggested"]["reset_timeout_s"]) == (
        change["suggested"],
        60,
    )
    assert trade["best"]["cost"] == min(p["cost"] for p in trade["front"])
    section = host_section(html, "flaky.example")
    assert 'data-kind="scatter"' in section
    block = re.search(
        r'<script type="application/json" id="[^"]+">(.*?)</script>',
        section.split("Trade-off: wasted against lost calls")[1],
        re.S,
    )
    traces = json.loads(block.group(1))["data"]
    assert traces[0]["x"] == [p["wasted"] for p in trade["front"]]
    assert traces[0]["y"] == [p["lost"] for p in trade["front"]]
    marked = {t["name"].split(" (")[0]: (t["x"][0], t["y"][0]) for t in traces[1:]}
    for key, name in (("current", "today's setting"), ("suggested", "suggested setting"),
                      ("best", "cheapest on the grid")):  # fmt: skip
        assert marked[name] == (trade[key]["wasted"], trade[key]["lost"])
    for host in ("down.example", "ok.example"):
        other = host_section(html, host)
        assert 'data-kind="scatter"' not in other


def shown_and_more(section: str) -> tuple[list[str], list[str]]:
    """The chart kinds of a host section drawn at once, and those behind "more charts"."""
    kinds = re.compile(r'class="chart" id="[^"]+" data-kind="([^"]+)"')
    parts = section.split('<details class="more-charts">')
    return kinds.findall(parts[0]), kinds.findall("".join(parts[1:]))


def test_only_a_host_with_a_change_shows_all_its_charts_at_once(data, html):
    """flaky.example has a change: timeline, durations and streaks at once, the trade-off
    chart (its points are the table beside the cards) behind "more charts"; a host with
    opens and no change shows its timeline only."""
    assert shown_and_more(host_section(html, "flaky.example")) == (
        ["timeline", "histogram", "bar"],
        ["scatter"],
    )
    opened = [
        h["host"]
        for h in data["contract"]["hosts"]
        if h["metrics"]["opens"] and h["host"] not in FIXED_ADVICE
    ]
    assert opened
    for host in opened:
        shown, more = shown_and_more(host_section(html, host))
        assert shown == ["timeline"] and more and "timeline" not in more, host


def nightly(status: str, seen: int) -> dict:
    """Report data ``nightly`` with flaky.example's change at ``status``."""
    change = FIXED_ADVICE["flaky.example"][0]
    return {
        "night": "2026-01-15",
        "rules": {"nights_to_confirm": 3, "confirm_window": 5, "urgent_open_fraction": 0.5},
        "advice": [
            {"host": "flaky.example", "parameter": "fail_max", "current": change["current"],
             "suggested": change["suggested"], "status": status, "urgent": False,
             "nights_seen": seen, "rule": change["rule"], "confidence": "high"}
        ],
    }  # fmt: skip


@pytest.mark.parametrize(
    ("status", "seen", "full"),
    [("new", 1, True), ("pending", 2, True), ("confirmed", 3, True),
         ("withdrawn", 0, True), ("confirmed", 4, False), ("confirmed", 5, False)],
)  # fmt: skip
def test_a_nightly_page_shows_in_full_only_hosts_with_news(data, status, seen, full):
    """Confirmed on an earlier night and unchanged since: one line (the change named), no
    charts, no tables; every other host of the night is one line too."""
    page = render_report({**data, "nightly": nightly(status, seen)})
    section = host_section(page, "flaky.example")
    assert ('class="chart"' in section) is full
    assert ('class="metrics"' in section) is full
    if not full:
        line = re.search(r"<summary>(.*?)</summary>", section, re.S).group(1)
        assert "fail_max 5 → 8" in line
        assert "<details>" in section and "<p" not in section  # the line and nothing else
    assert 'id="brief-note"' in page  # the other hosts are one line: said once, above
    for host in (h["host"] for h in data["contract"]["hosts"] if h["host"] != "flaky.example"):
        assert 'class="chart"' not in host_section(page, str(escape(host))), host
    single = render_report(data)
    assert single.count('class="chart"') > page.count('class="chart"')
    assert 'id="brief-note"' not in single


# --- report data: saved, read back, rendered later ----------------------------------------


def test_report_data_is_plain_json_with_the_contract(analysis, data):
    assert data["report_data_version"] == 1
    assert json.loads(dumps(data)) == data  # no tuples, numpy values, NaN or dates
    assert data["contract"] == json.loads(analysis.to_json())
    assert data["unreadable_sources"] == []


def test_html_from_saved_report_data_equals_the_live_html(data, html, tmp_path):
    path = save_report_data(data, tmp_path / "report-data.json")
    assert render_report(load_report_data(path)) == html


def test_report_from_saved_data_through_the_cli(tmp_path, monkeypatch):
    """advise --report-data, then report --from without the sources: the same bytes as
    the report made from the sources (generation time pinned)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(UNTIL)))
    source = report_manifest(tmp_path / "manifest.sqlite3")
    window = ["--window-s", "3600", "--until", str(UNTIL)]
    saved, live, later = (tmp_path / n for n in ("data.json", "live.html", "later.html"))
    runner = CliRunner()
    result = runner.invoke(
        advise_app, ["--format", "json", *window, "--report-data", str(saved), str(source)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(saved.read_text())["contract"] == json.loads(result.stdout)
    result = runner.invoke(app, ["report", str(source), *window, "--out", str(live)])
    assert result.exit_code == 0, result.output
    source.unlink()  # rendering from the document reads no source
    result = runner.invoke(app, ["report", "--from", str(saved), "--out", str(later)])
    assert result.exit_code == 0, result.output
    assert result.stderr == f"wrote {later}\n"
    assert later.read_bytes() == live.read_bytes()


@pytest.mark.parametrize(
    "content, message",
    [
        (b"<html>not json", "not a report-data file (not JSON"),
        (b"\xff\xfe\x00", "not a report-data file (not JSON"),
        (b"[1, 2]", "not a report-data file (no report_data_version"),
        (b'{"schema_version": 1, "hosts": []}', "not a report-data file (no report_data_version"),
        (b'{"report_data_version": 2}', "report_data_version 2 is not supported"),
        (b'{"report_data_version": 1, "contract": {}}', "missing unreadable_sources, series"),
        (
            b'{"report_data_version": 1, "contract": {}, "unreadable_sources": [], '
            b'"series": {}, "trade_offs": {}}',
            "not a valid report-data file (KeyError",
        ),
    ],
)
def test_a_corrupt_or_foreign_file_is_a_one_line_usage_error(tmp_path, content, message):
    path = tmp_path / "saved.json"
    path.write_bytes(content)
    out = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", "--from", str(path), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"Error: {path}: ") and message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not out.exists()


def test_report_data_is_never_written_over_an_input(tmp_path):
    source = report_manifest(tmp_path / "manifest.sqlite3")
    before = source.read_bytes()
    runner = CliRunner()
    result = runner.invoke(advise_app, ["--until", str(UNTIL), "--report-data", str(source),
                                        str(source)])  # fmt: skip
    assert result.exit_code == 2 and "--report-data" in result.stderr
    assert source.read_bytes() == before
    html = tmp_path / "same.html"
    result = runner.invoke(advise_app, ["--until", str(UNTIL), "--report-data", str(html),
                                        "--html", str(html), str(source)])  # fmt: skip
    assert result.exit_code == 2 and "refusing to overwrite" in result.stderr
    saved = save_report_data(report_data(analyze(source, until=UNTIL)), tmp_path / "d.json")
    kept = saved.read_bytes()
    result = runner.invoke(app, ["report", "--from", str(saved), "--out", str(saved)])
    assert result.exit_code == 2 and "refusing to overwrite --from" in result.stderr
    assert saved.read_bytes() == kept


def test_report_needs_sources_or_from(tmp_path):
    out = tmp_path / "r.html"
    result = CliRunner().invoke(app, ["report", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert not out.exists()
