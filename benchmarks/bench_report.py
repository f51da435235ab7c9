"""Benchmark: the HTML report's render time and size.

Prints, for each dataset, the analysis CPU time (``advisor.analyze``, shared with
breaker-advise), the report's own CPU time (best of --runs): its data (``report_data``:
bucketing queries and the replayed trade-offs) and its rendering (``render_report``:
figures, templates), the sizes of the page and of the report data as JSON, against the
issue's targets (data + render <= 15 s and <= 8 MB for 3 M events over 200 hosts):
  * demo  - the simulator's crawl-night scenario (8 h, a dozen hosts, ~1.3 M events);
  * fleet - a realistic 200-host fleet over 24 h (report_fleet.py: 160 healthy hosts,
            20 with a rare blip, 20 with trouble and a mistuned breaker; ~2.4 M events);
  * 3 M   - the worst case, bench_advise.py's generator: 3 M events, 200 hosts, 20 files
            (every host with ~10 outages a day: 200 hosts of per-host charts).

With --browser, both 200-host pages are also opened in headless Chromium (Debian's
/usr/bin/chromium through Playwright, as tests/test_report_browser.py does): first text
paint, and every host opened and every chart a printout shows drawn, as printing does
(``breakerReport.prepareForPrint()``; CPU seconds of the renderer processes from /proc,
and wall time); and 30 nights of the nightly job's dated pages of the same fleet (loading
the shared Plotly file, counted once). Targets (issue 16): page <= 4 MB single-file,
first paint <= 1 s, all charts <= 10 s, 30 nights <= 20 MB.

    python benchmarks/bench_report.py
    python benchmarks/bench_report.py --skip-large --runs 1
    python benchmarks/bench_report.py --runs 1 --large-events 1000000 --browser
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from bench_advise import DATA, dataset
from report_fleet import realistic_fleet

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
    started = time.process_time()
    config = folder / "breakers.yaml"
    analysis = analyze(
        folder, window_s=window_s, until="latest", config=config if config.exists() else None
    )
    analyze_s = time.process_time() - started
    best_data = best_render = float("inf")
    for _ in range(runs):
        started = time.process_time()
        data = report_data(analysis)
        middle = time.process_time()
        html = render_report(data)
        best_data = min(best_data, middle - started)
        best_render = min(best_render, time.process_time() - middle)
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


def _renderer_cpu_s() -> float:
    """CPU seconds (user + system) of the Chromium renderer processes started by this
    process (from /proc): the drawing's own CPU, whatever else the machine runs."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(stat[1]), []).append(int(entry.name))
    total, todo = 0.0, [os.getpid()]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            if b"--type=renderer" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                continue
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(stat[11]) + int(stat[12])) / tick
    return total


def nightly_pages(data: dict) -> tuple[float, float]:
    """MB of 30 nightly pages of this fleet plus the shared Plotly file: (steady, all new).

    Steady: the same changes every night, so new on night 1, pending on night 2,
    confirmed on night 3 (shown in full) and unchanged after (one line a host); all new:
    every change new every night (every host with a change in full). The nightly job's
    trends section is not included."""
    changes = [
        (h["host"], r["parameter"], r["current"], r["suggested"])
        for h in data["contract"]["hosts"]
        for r in h["recommendations"]
        if r["suggested"] is not None and r["suggested"] != r["current"]
    ]
    rules = {"nights_to_confirm": 3, "confirm_window": 5, "urgent_open_fraction": 0.5}

    def page(status: str, seen: int) -> int:
        advice = [
            {"host": host, "parameter": parameter, "current": current, "suggested": suggested,
             "status": status, "urgent": False, "nights_seen": seen, "rule": "", "confidence": ""}
            for host, parameter, current, suggested in changes
        ]  # fmt: skip
        nightly = {"night": "2026-01-15", "rules": rules, "advice": advice}
        html = render_report({**data, "nightly": nightly}, plotly_src=PLOTLY_FILE)
        return len(html.encode("utf-8"))

    shared = len(plotly_bundle().encode("utf-8"))
    new, pending, first, steady = (
        page("new", 1),
        page("pending", 2),
        page("confirmed", 3),
        page("confirmed", 5),
    )
    return (new + pending + first + 27 * steady + shared) / 1e6, (30 * new + shared) / 1e6


def browser_figures(name: str, data: dict) -> None:
    """First text paint and the charts a printout shows drawn (as for printing) in
    headless Chromium; 30 nights of the nightly job's pages of the same fleet."""
    from playwright.sync_api import sync_playwright

    folder = DATA / "report-browser"
    folder.mkdir(parents=True, exist_ok=True)
    single = folder / f"{name}.html"
    single.write_text(render_report(data), encoding="utf-8")
    shared = len(plotly_bundle().encode("utf-8"))
    steady, all_new = nightly_pages(data)
    print(f"[{name}] single file {single.stat().st_size / 1e6:.2f} MB (Plotly {shared / 1e6:.2f} "
          f"MB; target <= 4 MB); 30 nightly pages + shared Plotly: {steady:.1f} MB with the same "
          f"changes every night, {all_new:.1f} MB if every change were new every night "
          "(target <= 20 MB)")  # fmt: skip
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        started = time.perf_counter()
        page.goto(single.as_uri(), wait_until="load")
        load_s = time.perf_counter() - started
        paint = page.evaluate(
            "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime"
        )
        page.evaluate("() => new Promise(r => setTimeout(r, 500))")  # the first screen drawn
        before, started = _renderer_cpu_s(), time.perf_counter()
        drawn = page.evaluate(
            "() => window.breakerReport.prepareForPrint().then(() => window.breakerReport"
            ".charts.filter(el => el.dataset.rendered === 'yes').length)"
        )
        draw_wall, draw_cpu = time.perf_counter() - started, _renderer_cpu_s() - before
        total = page.evaluate("() => window.breakerReport.charts.length")
        print(f"[{name}] first text paint {paint / 1000:.2f} s (target <= 1 s; load event "
              f"{load_s:.2f} s wall); printing: {drawn} of {total} charts drawn (the rest wait "
              f"behind 'more charts'): {draw_cpu:.1f} s renderer CPU, {draw_wall:.1f} s wall "
              "(target <= 10 s)")  # fmt: skip
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
        fleet = measure("fleet", realistic_fleet(DATA, DEMO_END), 86_400, args.runs)
        events = args.large_events
        worst = measure(f"{events / 1e6:g}M", dataset(events, 200, 20), 172_800, args.runs)
        if args.browser:
            browser_figures("fleet", fleet)
            browser_figures("worst", worst)
    print("targets (3M): data + render <= 15 s, page <= 8 MB")


if __name__ == "__main__":
    main()
