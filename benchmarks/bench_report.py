"""Benchmark: the HTML report's render time and size.

Prints, for each dataset, the analysis time (``advisor.analyze``, shared with
breaker-advise), the report's own time (best of --runs): its data (``report_data``:
bucketing queries and the replayed trade-offs) and its rendering (``render_report``:
figures, templates), the sizes of the page and of the report data as JSON, against the
issue's targets (data + render <= 15 s and <= 8 MB for 3 M events over 200 hosts):
  * demo  - the simulator's crawl-night scenario (8 h, a dozen hosts, ~1.3 M events);
  * 3 M   - bench_advise.py's generator: 3 M events, 200 hosts, 20 files (every host
            with ~10 outages a day: 200 hosts of per-host charts).

    python benchmarks/bench_report.py
    python benchmarks/bench_report.py --skip-large --runs 1
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


def measure(name: str, folder: Path, window_s: float, runs: int) -> None:
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--demo-hours", type=float, default=8.0)
    parser.add_argument("--runs", type=int, default=3, help="best of this many renders")
    parser.add_argument("--skip-large", action="store_true", help="only the demo")
    args = parser.parse_args()
    print(f"{'data':>6} {'events':>11} {'hosts':>6} {'analyze s':>10} {'data s':>7} "
          f"{'render s':>9} {'page MB':>8} {'data MB':>8} {'charts':>7}")  # fmt: skip
    measure("demo", demo(args.demo_hours), args.demo_hours * 3600, args.runs)
    if not args.skip_large:
        measure("3M", dataset(3_000_000, 200, 20), 172_800, args.runs)
    print("targets (3M): data + render <= 15 s, page <= 8 MB")


if __name__ == "__main__":
    main()
