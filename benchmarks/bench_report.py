"""Benchmark: the HTML report's render time and size.

Prints, for each dataset, the analysis time (``advisor.analyze``, shared with
breaker-advise), the report's own time (best of --runs): its data (``report_data``:
bucketing queries and the replayed trade-offs) and its rendering (``render_report``:
figures, templates), the sizes of the page and of the report data as JSON, against the
issue's targets (data + render <= 15 s and <= 8 MB for 3 M events over 200 hosts):
  * demo  - the simulator's crawl-night scenario (8 h, a dozen hosts, ~1.3 M events);
  * 3 M   - bench_advise.py's generator: 3 M events, 200 hosts, 20 files (every host
            with ~10 outages a day: 200 hosts of per-host charts).

With --browser, the 200-host page is also opened in headless Chromium (Debian's
/usr/bin/chromium through Playwright, as tests/test_report_browser.py does): first text
paint, and every host opened and every chart drawn as for printing (renderer CPU seconds
from the DevTools protocol's Performance metrics, and wall time); and the nightly job's
30 nights: 30 dated pages loading the shared Plotly file plus that file once. Targets
(issue 16): page <= 4 MB single-file, first paint <= 1 s, all charts <= 10 s, 30 nights
<= 20 MB.

    python benchmarks/bench_report.py
    python benchmarks/bench_report.py --skip-large --runs 1
    python benchmarks/bench_report.py --runs 1 --large-events 1000000 --browser
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench_advise import DATA, dataset

from advisor import analyze
from advisor.outputs.report import render_report
from advisor.outputs.report.data import dumps
from advisor.outputs.report.render import PLOTLY_FILE, plotly_bundle
from advisor.pipeline import report_data

DEMO_END = "2026-01-15T08:00:00Z"


def demo(hours: float) -> Path:
    """The crawl-night manifest, simulated once and kept under benchmarks/.data."""
    from advisor.simulate import simulate

    folder = DATA / f"demo-crawl-night-{hours:g}h"
    if not (folder / "complete").exists():
        print(f"simulating crawl-night for {hours:g} h ...", file=sys.stderr, flush=True)
        simulate("crawl-night", folder, hours=hours, seed=1, end=DEMO_END, overwrite=True)
        (folder / "complete").write_text("")
    return folder


def measure(name: str, folder: Path, window_s: float, runs: int) -> dict:
    started = time.perf_counter()
    config = folder / "breakers.yaml"
    analysis = analyze(
        folder, window_s=window_s, until="latest", config=config if config.exists() else None
    )
    analyze_s = time.perf_counter() - started
    best_data = best_render = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        data = report_data(analysis)
        middle = time.perf_counter()
        html = render_report(data)
        best_data = min(best_data, middle - started)
        best_render = min(best_render, time.perf_counter() - middle)
    size = len(html.encode("utf-8")) / 1e6
    data_size = len(dumps(data).encode("utf-8")) / 1e6
    events = sum(s.events for s in analysis.sources)
    charts = html.count('class="chart"')
    print(
        f"{name:>6} {events:>11,} {len(analysis.hosts):>6} {analyze_s:>10.2f} "
        f"{best_data:>7.2f} {best_render:>9.2f} {size:>8.2f} {data_size:>8.2f} {charts:>7}",
        flush=True,
    )
    return data


def browser_figures(data: dict) -> None:
    """First text paint and all charts drawn (as for printing) in headless Chromium; the
    nightly job's 30 nights of pages."""
    from playwright.sync_api import sync_playwright

    folder = DATA / "report-browser"
    folder.mkdir(parents=True, exist_ok=True)
    single = folder / "single.html"
    single.write_text(render_report(data), encoding="utf-8")
    nightly = render_report(data, plotly_src=PLOTLY_FILE).encode("utf-8")
    shared = len(plotly_bundle().encode("utf-8"))
    print(f"single file {single.stat().st_size / 1e6:.2f} MB (Plotly {shared / 1e6:.2f} MB); "
          f"nightly page {len(nightly) / 1e6:.2f} MB, 30 nights + shared Plotly "
          f"{(30 * len(nightly) + shared) / 1e6:.1f} MB (target <= 20 MB)")  # fmt: skip
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        started = time.perf_counter()
        page.goto(single.as_uri(), wait_until="load")
        load_s = time.perf_counter() - started
        paint = page.evaluate(
            "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime"
        )

        def cpu() -> float:
            metrics = cdp.send("Performance.getMetrics")["metrics"]
            return next(m["value"] for m in metrics if m["name"] == "TaskDuration")

        before, started = cpu(), time.perf_counter()
        charts = page.evaluate(
            "() => { document.querySelectorAll('section.host > details')"
            ".forEach(d => { d.open = true; });"
            " return window.breakerReport.renderAll().then(() => window.breakerReport.charts"
            ".filter(el => el.dataset.rendered === 'yes').length); }"
        )
        draw_wall, draw_cpu = time.perf_counter() - started, cpu() - before
        print(f"first text paint {paint / 1000:.2f} s (target <= 1 s; load event {load_s:.2f} s"
              f" wall); all {charts} charts drawn: {draw_cpu:.1f} s renderer CPU, "
              f"{draw_wall:.1f} s wall (target <= 10 s)")  # fmt: skip
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--demo-hours", type=float, default=8.0)
    parser.add_argument("--runs", type=int, default=3, help="best of this many renders")
    parser.add_argument("--skip-large", action="store_true", help="only the demo")
    parser.add_argument("--large-events", type=int, default=3_000_000)
    parser.add_argument("--browser", action="store_true", help="Chromium figures (200 hosts)")
    args = parser.parse_args()
    print(f"{'data':>6} {'events':>11} {'hosts':>6} {'analyze s':>10} {'data s':>7} "
          f"{'render s':>9} {'page MB':>8} {'data MB':>8} {'charts':>7}")  # fmt: skip
    measure("demo", demo(args.demo_hours), args.demo_hours * 3600, args.runs)
    if not args.skip_large:
        events = args.large_events
        data = measure(f"{events / 1e6:g}M", dataset(events, 200, 20), 172_800, args.runs)
        if args.browser:
            browser_figures(data)
    print("targets (3M): data + render <= 15 s, page <= 8 MB")


if __name__ == "__main__":
    main()
