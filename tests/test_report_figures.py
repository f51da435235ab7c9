"""The report's charts: refused calls and failures by kind per bucket equal counts made
independently over the fixture rows; every chart has its numbers table; count axes tick
at whole numbers, duration axes at round durations; no NaN in hover texts; one encoding
per meaning; a few durations drawn as values; fleet incidents shaded with their hosts;
nightly trends with dates and one axis per setting."""

from __future__ import annotations

import json
import math
import random
import re
from collections import Counter
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from advisor import analyze
from advisor.metrics.series import ReportSeries
from advisor.nightly.trend_figures import host_trends
from advisor.outputs.report import render_report
from advisor.outputs.report.axes import count_axis, duration_axis, log_duration_axis
from advisor.outputs.report.figures import fleet_timeline
from advisor.outputs.report.summary import summarize
from advisor.pipeline import report_data
from tests.helpers import manifests as m
from tests.helpers.manifests import T0
from tests.helpers.report import FIGURE_BLOCK, XSS, fixed_analysis

ERRORS = [None, "ReadTimeout", "request timed out", "ConnectError", "CircuitBreakerError"]


def mixed_rows(seed: int = 7) -> list[dict]:
    """An hour of calls on two hosts: every status kind, errors and refused calls."""
    rng = random.Random(seed)
    rows = []
    for host in ("a.example", "b.example"):
        for _ in range(3000):
            ts = T0 + rng.uniform(-100, 3700)  # some outside the window
            status = rng.choice([200, 200, 200, 429, 503, 500, 408, 404, None])
            error = rng.choice(ERRORS) if status is None or rng.random() < 0.1 else None
            recorded = rng.choice(["success", "failure", "none"])
            rows.append({"ts": ts, "host": host, "status": status, "error": error,
                         "breaker_recorded": recorded, "from_cache": 0})  # fmt: skip
    return rows


def expected_buckets(rows: list[dict], start: float, end: float, width: int, first: int):
    """Per host: Counter of (bucket index, what) with plain Python, as the README defines
    the split (429, else 5xx, else time-out, else other; refused: no status, breaker error)."""
    out: dict[str, Counter] = {}
    for r in rows:
        if not start <= r["ts"] <= end:
            continue
        i = math.floor(r["ts"] / width) - first
        error, status = r["error"] or "", r["status"]
        if r["breaker_recorded"] in ("success", "failure"):
            outcome = r["breaker_recorded"]
        elif status is None and re.search("breaker|circuit|cooldown", error, re.I):
            outcome = "rejected"
        else:
            outcome = "neutral"
        counts = out.setdefault(r["host"], Counter())
        if outcome == "success":
            counts[i, "successes"] += 1
        elif outcome == "rejected":
            counts[i, "refused"] += 1
        elif outcome == "failure":
            if status == 429:
                kind = "429"
            elif status is not None and 500 <= status <= 599:
                kind = "5xx"
            elif status == 408 or re.search(r"time[d ]?out", error, re.I):
                kind = "timeout"
            else:
                kind = "other"
            counts[i, kind] += 1
    return out


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    rows = mixed_rows()
    path = m.http_events(tmp_path_factory.mktemp("mixed") / "m.sqlite3", rows)
    analysis = analyze(path, window_s=3600, until=T0 + 3600)
    series = ReportSeries.from_dict(json.loads(json.dumps(report_data(analysis)))["series"])
    return rows, analysis, series


def test_refused_calls_and_failure_kinds_per_bucket_equal_plain_counts(mixed):
    rows, analysis, series = mixed
    fine = series.fine
    expected = expected_buckets(rows, T0, T0 + 3600, fine.width_s, fine.first)
    for host in ("a.example", "b.example"):
        data, want = series.hosts[host], expected[host]
        kinds = dict(data.failure_kinds)
        kinds["other"] = data.failures - sum(kinds.values())
        got = {"successes": data.successes, "refused": data.refused, **kinds}
        for what, values in got.items():
            plain = np.zeros(fine.count, dtype=np.int64)
            for (i, w), n in want.items():
                if w == what:
                    plain[i] += n
            assert values.tolist() == plain.tolist(), (host, what)
        assert int(data.refused.sum()) > 10 and int(kinds["timeout"].sum()) > 20
        metrics = next(h.metrics for h in analysis.hosts if h.host == host)
        assert int(data.refused.sum()) == metrics["rejected"]
        assert int(data.failures.sum()) == metrics["failures"]


def test_host_timeline_draws_refused_calls_and_the_failure_split(mixed):
    _, analysis, _ = mixed
    html = render_report(report_data(analysis))
    figure = figures_of(html)[section_chart_ids(html, "a.example")[0]]
    names = [t["name"] for t in figure["data"]]
    for name in ("HTTP 429", "HTTP 5xx", "time-outs", "other failures",
                 "refused by the breaker", "successes"):  # fmt: skip
        assert name in names
    caption = chart_captions(html)[section_chart_ids(html, "a.example")[0]]
    assert "refused by the breaker" in caption and "HTTP 429" in caption


# --- the rendered fixture report ----------------------------------------------------------


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    analysis = fixed_analysis(tmp_path_factory.mktemp("report"))
    data = report_data(analysis)
    return data, render_report(data)


class Charts(HTMLParser):
    """Chart ids, their numbers tables (details data-chart) and captions."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: list[str] = []
        self.tables: list[str] = []
        self.captions: dict[str, str] = {}
        self.caption: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "div" and "chart" in a.get("class", "").split():
            self.charts.append(a["id"])
        elif tag == "details" and "chart-data" in a.get("class", "").split():
            self.tables.append(a["data-chart"])
        elif tag == "span" and a.get("class") == "caption":
            self.caption = a["id"].removesuffix("-caption")
            self.captions[self.caption] = ""

    def handle_endtag(self, tag):
        if tag == "span":
            self.caption = None

    def handle_data(self, data):
        if self.caption:
            self.captions[self.caption] += data


def parsed(html: str) -> Charts:
    parser = Charts()
    parser.feed(html)
    return parser


def chart_captions(html: str) -> dict[str, str]:
    return parsed(html).captions


def figures_of(html: str) -> dict[str, dict]:
    return {
        block.removesuffix("-data"): json.loads(text)
        for block, text in FIGURE_BLOCK.findall(html)
        if block.endswith("-data")
    }


def section_chart_ids(html: str, host: str) -> list[str]:
    pattern = rf'<section class="host"[^>]*data-host="{re.escape(host)}">(.*?)</section>'
    return re.findall(r'class="chart" id="([^"]+)"', re.search(pattern, html, re.S).group(1))


def test_every_chart_has_its_numbers_table(report):
    _, html = report
    page = parsed(html)
    assert len(page.charts) >= 13
    assert page.tables == page.charts
    for chart_id, figure in figures_of(html).items():
        listed = [t for t in figure["data"] if not t.get("meta")]
        ready = [t for t in figure["data"] if isinstance(t.get("meta"), dict)]
        assert listed or ready, chart_id  # the page script has something to list


def axes(figure: dict) -> dict[str, dict]:
    return {k: v for k, v in figure["layout"].items() if re.fullmatch(r"[xy]axis\d*", k)}


def test_count_axes_tick_at_whole_numbers(report):
    _, html = report
    checked = 0
    for chart_id, figure in figures_of(html).items():
        for name, axis in axes(figure).items():
            if axis.get("tickformat") == "d":
                assert float(axis["dtick"]).is_integer() and axis["dtick"] >= 1, (chart_id, name)
                checked += 1
            title = axis.get("title", {}).get("text", "")
            if title in ("failures", "calls", "trials", "count"):
                assert axis.get("tickformat") == "d", (chart_id, name)
        for trace in figure["data"]:
            if trace["type"] == "heatmap":
                assert trace["colorbar"]["tickformat"] == "d"
                assert float(trace["colorbar"]["dtick"]).is_integer()
    assert checked >= 6


def test_no_nan_in_hover_texts(report):
    _, html = report
    for chart_id, figure in figures_of(html).items():
        for trace in figure["data"]:
            if trace["type"] == "heatmap":
                assert trace["hoverongaps"] is False
                assert trace["texttemplate"] == "%{text}"
            for key in ("text", "hovertext", "customdata"):
                flat = json.dumps(trace.get(key, ""))
                assert "nan" not in flat.lower(), (chart_id, key)


def encoding(trace: dict) -> tuple:
    marker = trace.get("marker", {})
    return (
        trace["type"] if trace["type"] != "bar" else "bar",
        marker.get("color") or trace.get("line", {}).get("color"),
        marker.get("pattern", {}).get("shape"),
        marker.get("symbol"),
        trace.get("line", {}).get("dash"),
        trace.get("mode"),
    )


def test_one_encoding_per_meaning(report):
    _, html = report
    for chart_id, figure in figures_of(html).items():
        data = [t for t in figure["data"] if t.get("meta") != "setting"]
        seen = {}
        for trace in data:
            if trace.get("showlegend") is False:
                continue
            key = encoding(trace)
            assert key not in seen, (chart_id, trace["name"], seen.get(key))
            seen[key] = trace["name"]
        bars = [t for t in data if t["type"] == "bar"]
        colours = [t["marker"]["color"] for t in bars]
        assert len(set(colours)) == len(colours), chart_id  # no two bars share a colour


def test_state_legend_matches_the_caption(report):
    _, html = report
    captions = chart_captions(html)
    for chart_id, figure in figures_of(html).items():
        names = {t.get("name") for t in figure["data"]}
        caption = captions[chart_id]
        if "half-open only" in caption:
            assert "half-open only" in names, chart_id
        if "open (with its half-open trials)" in names:
            assert "half-open trials" in caption, chart_id


def test_a_few_durations_are_drawn_as_values(report):
    data, html = report
    down = data["series"]["hosts"]["down.example"]
    figure = figures_of(html)[section_chart_ids(html, "down.example")[1]]
    opens = next(t for t in figure["data"] if t["name"] == "open stays")
    assert opens["mode"] == "markers"
    values = sorted(s for s, _, _ in down["duration_values"]["open"])
    assert sorted(opens["x"]) == values
    assert 300.0 in values  # the 300 s reset timeout: one value, not a 251–398 s bin


def test_duration_axes_tick_at_round_durations():
    axis = duration_axis(293)
    assert axis["tickvals"][:4] == [0, 60, 120, 180]
    assert axis["ticktext"][:4] == ["0", "1 min", "2 min", "3 min"]
    assert duration_axis(5000)["ticktext"][:3] == ["0", "20 min", "40 min"]
    assert duration_axis(40)["ticktext"][:3] == ["0", "10 s", "20 s"]
    log = log_duration_axis(0.5, 1200)
    assert log["ticktext"] == ["0.5 s", "2 s", "10 s", "30 s", "2 min", "10 min"]
    assert all(v in (0.5, 1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 300, 600, 900, 1200)
               for v in log["tickvals"])  # fmt: skip
    assert count_axis(7)["dtick"] == 2 and count_axis(3)["dtick"] == 1
    assert count_axis(250)["dtick"] == 50


def test_fleet_incidents_are_shaded_with_their_hosts_named(report):
    data, _ = report
    series = ReportSeries.from_dict(data["series"])
    summary = summarize(data)
    incident = {"start": "2026-01-15T08:16:40Z", "end": "2026-01-15T08:20:00Z",
                "hosts": ["down.example", XSS], "active_hosts": 4, "p_value": 1e-6}  # fmt: skip
    chart = fleet_timeline(series, summary.hosts, [incident])
    figure = json.loads(str(chart.figure))
    shades = [t for t in figure["data"] if t.get("fill") == "toself"]
    assert len(shades) == 1
    assert shades[0]["x"][0] == (T0 + 1000) * 1000 and shades[0]["x"][1] == (T0 + 1200) * 1000
    assert "down.example" in shades[0]["text"] and "&lt;script&gt;" in shades[0]["text"]
    assert shades[0]["meta"]["table"]["rows"][0][3] == f"down.example, {XSS}"
    assert "fleet incident" in chart.caption
    assert "<" not in str(chart.figure)


def test_nightly_trends_show_dates_and_one_axis_per_setting():
    nights = pd.to_datetime(["2026-11-24", "2026-11-25", "2026-11-26"])
    frame = pd.DataFrame(
        [
            {"night": n, "host": "h.example", "opens": 3 + i, "open_time_s": 600.0,
             "failure_rate": 0.1, "parameter": p, "current": c, "suggested": s}
            for i, n in enumerate(nights)
            for p, c, s in (("fail_max", 5, 8), ("reset_timeout_s", 600, 60))
        ]
    )  # fmt: skip
    (trend,) = host_trends(frame)
    metrics, settings = (json.loads(str(c.figure)) for c in trend.charts)
    for figure in (metrics, settings):
        for trace in figure["data"]:
            assert list(trace["x"]) == ["2026-11-24", "2026-11-25", "2026-11-26"]
    axes_of = {t.get("yaxis", "y") for t in settings["data"]
               if "fail_max" in t["name"]} & {t.get("yaxis", "y") for t in settings["data"]
               if "reset_timeout_s" in t["name"]}  # fmt: skip
    assert axes_of == set()  # fail_max and reset_timeout_s never share an axis
    assert metrics["layout"]["yaxis"]["tickformat"] == "d"


def decoded(value) -> np.ndarray:
    """A figure array as numbers: a plain list, or Plotly's base64 typed-array spec."""
    if isinstance(value, list):
        return np.array(value, dtype=float)
    import base64

    raw = base64.b64decode(value["bdata"])
    return np.frombuffer(raw, dtype=np.dtype(value["dtype"]).newbyteorder("<")).astype(float)


def test_timeline_bars_give_back_every_bucket_count(mixed):
    """Bars listed only where non-zero (x) or over every bucket (x0/dx), stacked on a base:
    either way they read back as the plain per-bucket counts."""
    rows, analysis, series = mixed
    fine = series.fine
    expected = expected_buckets(rows, T0, T0 + 3600, fine.width_s, fine.first)
    html = render_report(report_data(analysis))
    names = {"HTTP 429": "429", "HTTP 5xx": "5xx", "time-outs": "timeout",
             "other failures": "other", "refused by the breaker": "refused"}  # fmt: skip
    x0 = fine.start_ms + fine.width_ms / 2
    for host in ("a.example", "b.example"):
        figure = figures_of(html)[section_chart_ids(html, host)[0]]
        bars = [t for t in figure["data"] if t["type"] == "bar" and t["name"] in names]
        assert bars
        below = np.zeros(fine.count)  # the failure kinds stack in this order
        for trace in bars:
            y = decoded(trace["y"])
            if "x" in trace:
                index = np.rint((decoded(trace["x"]) - x0) / fine.width_ms).astype(int)
            else:
                assert trace["x0"] == x0 and trace["dx"] == fine.width_ms
                index = np.arange(y.size)
            got = np.zeros(fine.count)
            got[index] = y
            what = names[trace["name"]]
            plain = np.zeros(fine.count)
            for (i, w), n in expected[host].items():
                if w == what:
                    plain[i] += n
            assert got.tolist() == plain.tolist(), (host, what)
            if what != "refused":
                base = decoded(trace["base"]) if "base" in trace else np.zeros(index.size)
                assert base.tolist() == below[index].tolist(), (host, what)
                below += plain


def test_bars_list_only_the_non_zero_buckets_when_that_is_shorter():
    from advisor.metrics.series import Buckets
    from advisor.outputs.report.figures import _bucket_bars

    grid = Buckets(60, 1000, 240)
    sparse = np.zeros(240, dtype=np.int64)
    sparse[[3, 100, 239]] = [5, 1, 300]
    trace = _bucket_bars(grid, sparse)
    x0 = 1000 * 60_000 + 30_000
    assert decoded(trace["x"]).tolist() == [x0 + 3 * 60_000, x0 + 100 * 60_000, x0 + 239 * 60_000]
    assert decoded(trace["y"]).tolist() == [5, 1, 300]
    assert trace["width"] == 54_000 and "x0" not in trace
    dense = np.arange(240) % 7
    trace = _bucket_bars(grid, dense, below=np.ones(240, dtype=np.int64))
    assert trace["x0"] == x0 and trace["dx"] == 60_000 and "x" not in trace
    assert decoded(trace["y"]).tolist() == dense.tolist()
    assert decoded(trace["base"]).tolist() == [1] * 240
