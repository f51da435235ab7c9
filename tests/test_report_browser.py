"""The report in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright):
no console errors, no network requests, every chart drawn with data, host links that
scroll, and a host named like a script shown as text; the Actions section first with the
``--format yaml`` patch; no horizontal scroll on a 390 px phone; every chart with its
numbers table; the host filter; printing draws every chart; the nightly pages' shared
Plotly file loads under their CSP. Saves screenshots of the demo report under
tests/artifacts/ (git-ignored); with UPDATE_SCREENSHOT=1 also README's docs/report.png.

Skipped only when Chromium or Playwright is missing and ``CI`` is not set; in CI a
missing browser fails the run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from typer.testing import CliRunner

from advisor import analyze
from advisor.cli.app import app
from advisor.outputs.report import render_report, save_report
from advisor.outputs.report.render import PLOTLY_FILE, write_plotly_file
from advisor.pipeline import report_data
from tests.helpers.report import XSS, fixed_analysis

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
SCREENSHOT = Path(__file__).parent.parent / "docs" / "report.png"
UPDATE_SCREENSHOT = "UPDATE_SCREENSHOT"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _require_browser():
    """Playwright's sync API, or a skip (outside CI) / failure (in CI) saying what is missing."""
    missing = []
    if not CHROMIUM.is_file():
        missing.append(f"{CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
        missing.append("playwright (pip install playwright; never `playwright install`)")
    if missing:
        reason = "browser test needs " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(reason + " - required when CI is set")
        pytest.skip(reason)
    return sync_playwright


@pytest.fixture(scope="module")
def browser():
    sync_playwright = _require_browser()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


class Page:
    """A page opened on a report file, recording console errors, requests and dialogs."""

    def __init__(self, browser, path: Path, **context) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        context.setdefault("viewport", {"width": 1280, "height": 900})
        self.context = browser.new_context(**context)
        self.context.route("**/*", self._route)
        self.page = page = self.context.new_page()
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", self._request)
        page.on("dialog", self._dialog)
        page.goto(path.resolve().as_uri(), wait_until="load")

    def _route(self, route) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            self.requests.append(route.request.url)
            route.abort()

    def _request(self, request) -> None:
        if not request.url.startswith(("file:", "data:", "blob:", "about:")):
            self.requests.append(request.url)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def render_all(self) -> list[dict]:
        """Draw every chart; returns per chart its id and trace/point counts."""
        self.page.evaluate("() => window.breakerReport.renderAll()")
        return self.page.evaluate(
            """() => window.breakerReport.charts.map(el => ({
                id: el.id,
                rendered: el.dataset.rendered,
                traces: (el.data || []).length,
                points: (el.calcdata || []).map(cd => cd.length),
                svg: el.querySelectorAll('.main-svg').length,
            }))"""
        )

    def __enter__(self) -> Page:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.context.close()


def check_page(page: Page) -> list[dict]:
    charts = page.render_all()
    assert charts, "no charts"
    for chart in charts:
        assert chart["rendered"] == "yes", chart
        assert chart["svg"] > 0, chart
        assert chart["traces"] > 0 and chart["points"], chart
        assert all(n > 0 for n in chart["points"]), f"empty trace in {chart}"
    assert page.errors == []
    assert page.requests == []
    assert page.dialogs == []
    return charts


@pytest.fixture(scope="module")
def fixture_report(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    return save_report(report_data(fixed_analysis(folder)), folder / "report.html")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> SimpleNamespace:
    """The simulator's crawl-night scenario: its report and the advise options behind it."""
    from advisor.simulate import simulate

    folder = tmp_path_factory.mktemp("demo")
    run = simulate("crawl-night", folder / "run", hours=2, seed=1, end="2026-01-15T10:00:00Z")
    analysis = analyze(run.manifest, window_s=7200, until="latest", config=run.config)
    data = report_data(analysis)
    options = ["--window-s", "7200", "--until", "latest", "--config", str(run.config)]
    report = save_report(data, folder / "demo.html")
    return SimpleNamespace(report=report, data=data, options=[*options, str(run.manifest)])


@pytest.fixture(scope="module")
def demo_report(demo) -> Path:
    return demo.report


def advise(*args: str) -> str:
    """``breaker-advisor advise ARGS`` output (the CLI, as a reader runs it)."""
    result = CliRunner().invoke(app, ["advise", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_demo_report_loads_offline_and_draws_every_chart(browser, demo_report):
    with Page(browser, demo_report) as page:
        charts = check_page(page)
        assert len(charts) >= 10
        ARTIFACTS.mkdir(exist_ok=True)
        page.page.evaluate("() => window.scrollTo(0, 0)")
        page.page.screenshot(path=str(ARTIFACTS / "report-demo.png"), full_page=True)
        page.page.screenshot(path=str(ARTIFACTS / "report-demo-top.png"))


def test_dark_mode_and_print_layout_render(browser, demo_report):
    with Page(browser, demo_report, color_scheme="dark") as page:
        check_page(page)
        background = page.page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(18, 18, 18)"
        page.page.emulate_media(media="print")
        assert (
            page.page.evaluate("() => getComputedStyle(document.querySelector('nav')).display")
            == "none"
        )
        page.page.screenshot(path=str(ARTIFACTS / "report-demo-dark.png"))


def test_clicking_a_host_scrolls_to_its_section(browser, fixture_report):
    with Page(browser, fixture_report) as page:
        p = page.page
        link = p.locator('#host-table a[href="#host-2"]')
        p.evaluate("() => window.scrollTo(0, 0)")
        link.click()
        # The section's heading is brought into view (charts drawn above it may still
        # shift it by a few pixels, so "in view" rather than "at the very top").
        p.wait_for_function(
            "() => { const r = document.getElementById('host-2').getBoundingClientRect();"
            " return r.top > -20 && r.top < window.innerHeight / 2; }"
        )
        assert p.evaluate("() => location.hash") == "#host-2"
        assert p.evaluate("() => window.scrollY") > 0
        assert page.errors == [] and page.requests == []


def test_script_host_is_text_and_fires_nothing(browser, fixture_report):
    with Page(browser, fixture_report) as page:
        check_page(page)
        p = page.page
        assert p.locator("#host-table tbody th a").all_inner_texts().count(XSS) == 1
        assert p.locator("section.host h3").all_inner_texts().count(XSS) == 1
        ticks = p.evaluate(
            "() => Array.from(document.querySelectorAll('#fleet .ytick text'))"
            ".map(t => t.textContent)"
        )
        assert XSS in ticks  # shown as written in the charts too
        assert p.evaluate("() => document.querySelectorAll('script:not([type])').length") == 2
        assert page.dialogs == []


def test_numbers_tables_are_built_from_the_chart_data(browser, fixture_report):
    with Page(browser, fixture_report) as page:
        p = page.page
        streaks = p.locator('#host-0 details[data-label="failures in a row"]')
        streaks.locator("summary").click()
        streaks.locator("tr").nth(3).wait_for()  # the table is built once the chart is drawn
        rows = streaks.locator("tr").evaluate_all(
            "rows => rows.map(r => Array.from(r.cells).map(c => c.textContent))"
        )
        assert rows == [
            ["failures in a row", "opened the breaker", "ended by a success",
             "still running at the window end"],
            ["1", "0", "1", "1"],
            ["2", "0", "1", "0"],
            ["5", "1", "0", "0"],
        ]  # fmt: skip
        # a few durations are listed as values (one row per value), not as bins; host-1
        # has no change, so its durations chart waits behind "more charts"
        p.locator("#host-1 details.more-charts > summary").click()
        durations = p.locator('#host-1 details[data-label="duration, seconds"]')
        durations.locator("summary").click()
        durations.locator("tbody tr").nth(2).wait_for()
        cells = durations.locator("tbody tr").evaluate_all(
            "rows => rows.map(r => Array.from(r.cells).map(c => c.textContent))"
        )
        assert [row[1:] for row in cells] == [["1", ""], ["1", ""], ["", "1"]]
        assert cells[0][0] == "300" and all("–" not in row[0] for row in cells)
        assert page.errors == []


def test_browser_is_debians_chromium():
    """The suite drives the system Chromium; Playwright's own downloads are never used."""
    _require_browser()
    assert shutil.which("chromium") or CHROMIUM.is_file()


def test_actions_come_first_with_one_row_per_change_and_the_yaml_patch(browser, demo):
    contract = json.loads(advise("--format", "json", *demo.options))
    changes = [
        (h["host"], r["parameter"])
        for h in contract["hosts"]
        for r in h["recommendations"]
        if r["suggested"] is not None and r["suggested"] != r["current"]
    ]
    assert changes, "the demo suggests changes"
    patch = advise("--format", "yaml", *demo.options)
    with Page(browser, demo.report) as page:
        p = page.page
        first = p.evaluate(
            "() => { const h = document.getElementById('headline');"
            " return Array.from(document.querySelectorAll('section'))"
            ".find(s => h.compareDocumentPosition(s) & Node.DOCUMENT_POSITION_FOLLOWING).id; }"
        )
        assert first == "actions"
        rows = p.locator("#actions #action-table tbody tr").evaluate_all(
            "rows => rows.map(r => [r.dataset.host, r.dataset.parameter])"
        )
        assert sorted(map(tuple, rows)) == sorted(changes)
        shown = p.locator("#actions pre.patch").inner_text()
        assert shown.strip() == patch.strip()
        assert yaml.safe_load(shown) == yaml.safe_load(patch)
        assert page.errors == [] and page.requests == []


def test_phone_has_no_horizontal_scroll(browser, demo_report):
    with Page(browser, demo_report, viewport={"width": 390, "height": 844}) as page:
        check_page(page)  # every chart drawn at phone width
        p = page.page
        assert p.evaluate("() => document.documentElement.scrollWidth") <= 390
        widths = p.evaluate(
            "() => Array.from(document.querySelectorAll('.chart .main-svg'))"
            ".map(s => s.getBoundingClientRect().right)"
        )
        assert widths and max(widths) <= 390, "charts fit the viewport"
        columns = p.evaluate(
            "() => getComputedStyle(document.querySelector('.facts')).gridTemplateColumns"
            ".split(' ').length"
        )
        assert columns == 2, "two stats a row on the phone"
        # host names break only after a dot: each label stays whole
        name = p.locator("section.host h3").first
        assert name.evaluate("h => h.querySelectorAll('wbr').length") == name.inner_text().count(
            "."
        )
        p.evaluate("() => window.scrollTo(0, 0)")
        ARTIFACTS.mkdir(exist_ok=True)
        p.screenshot(path=str(ARTIFACTS / "report-phone.png"))
        assert page.errors == [] and page.requests == []


def test_every_chart_has_its_numbers_table(browser, demo_report):
    with Page(browser, demo_report) as page:
        p = page.page
        missing = p.evaluate(
            "() => window.breakerReport.charts.filter(el =>"
            " !document.querySelector('details.chart-data[data-chart=\"' + el.id + '\"]'))"
            ".map(el => el.id + ' ' + el.dataset.kind)"
        )
        assert missing == []
        for details in p.locator("details.chart-data").all():
            details.evaluate("d => window.breakerReport.buildTable(d)")
            assert details.locator("tbody tr").count() > 0
        assert page.errors == [] and page.requests == []


def test_printing_draws_every_chart_and_opens_every_host(browser, demo_report):
    with Page(browser, demo_report) as page:
        p = page.page
        p.evaluate("() => document.querySelectorAll('section.host > details')"
                   ".forEach(d => { d.open = false; })")  # fmt: skip
        assert p.evaluate(
            "() => window.breakerReport.charts.some(el => el.dataset.rendered !== 'yes')"
        ), "charts below the first screen wait to be scrolled into view"
        p.emulate_media(media="print")  # the print media query, as a print preview does
        p.wait_for_function(
            "() => window.breakerReport.printable().every(el => el.dataset.rendered === 'yes')"
        )
        # a host without a change keeps its other charts behind a closed "more charts":
        # not drawn, not printed
        assert p.evaluate(
            "() => Array.from(document.querySelectorAll('details.more-charts'))"
            ".every(d => !d.open && getComputedStyle(d).display === 'none')"
        )
        assert p.evaluate(
            "() => Array.from(document.querySelectorAll('section.host > details'))"
            ".every(d => d.open)"
        )
        assert page.errors == [] and page.requests == []


def test_host_filter_and_collapse(browser, demo):
    with Page(browser, demo.report) as page:
        p = page.page
        hosts = [h["host"] for h in demo.data["contract"]["hosts"]]
        wanted = hosts[0].split(".")[0]
        expected = sorted(h for h in hosts if wanted.lower() in h.lower())
        p.fill("#host-filter", wanted)
        shown = p.locator("section.host:not([hidden])").evaluate_all(
            "els => els.map(e => e.dataset.host)"
        )
        rows = p.locator("#host-table tr[data-host]:not([hidden])").evaluate_all(
            "els => els.map(e => e.dataset.host)"
        )
        assert sorted(shown) == sorted(rows) == expected
        assert p.locator("section.host[hidden]").count() == len(hosts) - len(expected)
        p.click("#hosts-close")
        assert p.evaluate(
            "() => Array.from(document.querySelectorAll('section.host > details'))"
            ".every(d => !d.open)"
        )
        p.fill("#host-filter", "")
        assert p.locator("section.host[hidden]").count() == 0
        assert page.errors == [] and page.requests == []


def test_compact_rows_for_hosts_without_change_or_open(demo):
    contract = {h["host"]: h for h in demo.data["contract"]["hosts"]}
    html = demo.report.read_text()
    compact = set(re.findall(r'data-layout="compact" data-host="([^"]+)"', html))
    expected = {
        host
        for host, h in contract.items()
        if not h["metrics"]["opens"]
        and not any(r["suggested"] not in (None, r["current"]) for r in h["recommendations"])
    }
    assert compact == expected


def test_nightly_pages_share_one_plotly_file_under_their_csp(browser, demo, tmp_path):
    write_plotly_file(tmp_path)
    path = tmp_path / "2026-01-15.html"
    path.write_text(render_report(demo.data, plotly_src=PLOTLY_FILE))
    assert len(path.read_bytes()) < 1_000_000  # the 1.5 MB bundle is not inlined
    assert "script-src 'self' 'unsafe-inline'" in path.read_text().replace("&#39;", "'")
    with Page(browser, path) as page:
        check_page(page)


def test_readme_screenshot(browser, demo_report):
    """README's docs/report.png: the top of the demo report, rewritten only on request."""
    with Page(browser, demo_report) as page:
        check_page(page)
        page.page.evaluate("() => window.scrollTo(0, 0)")
        shot = page.page.screenshot()
        if os.environ.get(UPDATE_SCREENSHOT):
            SCREENSHOT.write_bytes(shot)
        assert SCREENSHOT.is_file()


def test_screenshot_switch_is_off():
    assert not os.environ.get(UPDATE_SCREENSHOT), f"unset {UPDATE_SCREENSHOT}: it rewrites docs"
