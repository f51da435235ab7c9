"""The report in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright):
no console errors, no network requests, every chart drawn with data, host links that
scroll, and a host named like a script shown as text. Saves screenshots of the demo
report under tests/artifacts/ (git-ignored).

Skipped only when Chromium or Playwright is missing and ``CI`` is not set; in CI a
missing browser fails the run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from advisor import analyze
from advisor.outputs.report import save_report
from advisor.pipeline import report_data
from tests.helpers.report import XSS, fixed_analysis

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
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
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, **context)
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
def demo_report(tmp_path_factory) -> Path:
    """A report over the simulator's crawl-night scenario (the fixture when it is absent)."""
    folder = tmp_path_factory.mktemp("demo")
    try:
        from advisor.simulate import simulate
    except ImportError:
        return save_report(report_data(fixed_analysis(folder)), folder / "demo.html")
    run = simulate("crawl-night", folder / "run", hours=2, seed=1, end="2026-01-15T10:00:00Z")
    analysis = analyze(run.manifest, window_s=7200, until="latest", config=run.config)
    return save_report(report_data(analysis), folder / "demo.html")


def test_demo_report_loads_offline_and_draws_every_chart(browser, demo_report):
    page = Page(browser, demo_report)
    try:
        charts = check_page(page)
        assert len(charts) >= 10
        ARTIFACTS.mkdir(exist_ok=True)
        page.page.evaluate("() => window.scrollTo(0, 0)")
        page.page.screenshot(path=str(ARTIFACTS / "report-demo.png"), full_page=True)
        page.page.screenshot(path=str(ARTIFACTS / "report-demo-top.png"))
    finally:
        page.close()


def test_dark_mode_and_print_layout_render(browser, demo_report):
    page = Page(browser, demo_report, color_scheme="dark")
    try:
        check_page(page)
        background = page.page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(18, 18, 18)"
        page.page.emulate_media(media="print")
        assert (
            page.page.evaluate("() => getComputedStyle(document.querySelector('nav')).display")
            == "none"
        )
        page.page.screenshot(path=str(ARTIFACTS / "report-demo-dark.png"))
    finally:
        page.close()


def test_clicking_a_host_scrolls_to_its_section(browser, fixture_report):
    page = Page(browser, fixture_report)
    try:
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
    finally:
        page.close()


def test_script_host_is_text_and_fires_nothing(browser, fixture_report):
    page = Page(browser, fixture_report)
    try:
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
    finally:
        page.close()


def test_numbers_tables_are_built_from_the_chart_data(browser, fixture_report):
    page = Page(browser, fixture_report)
    try:
        p = page.page
        streaks = p.locator('#host-0 details[data-label="failures in a row"]')
        streaks.locator("summary").click()
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
        # a few durations are listed as values (one row per value), not as bins
        durations = p.locator('#host-1 details[data-label="duration, seconds"]')
        durations.locator("summary").click()
        cells = durations.locator("tbody tr").evaluate_all(
            "rows => rows.map(r => Array.from(r.cells).map(c => c.textContent))"
        )
        assert [row[1:] for row in cells] == [["1", ""], ["1", ""], ["", "1"]]
        assert cells[0][0] == "300" and all("–" not in row[0] for row in cells)
        assert page.errors == []
    finally:
        page.close()


def test_browser_is_debians_chromium():
    """The suite drives the system Chromium; Playwright's own downloads are never used."""
    _require_browser()
    assert shutil.which("chromium") or CHROMIUM.is_file()
