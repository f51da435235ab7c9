"""What-if replay speed: an 11 x 11 grid over one 100 k-call host, and the whole
crawl-night fleet.

* host  - a synthetic busy host (20 calls/s, 100 k calls, outages of 1-30 min and noise
          failures), recorded behind fail_max 5 / reset 60 s; times health
          reconstruction and the 11 x 11 fail_max x reset_timeout_s grid.
* fleet - a simulated crawl-night (``--hours``, cached under benchmarks/.data); times
          reading every host's timeline from the analysis and the 11 x 11 grid for each
          (the analysis itself, DuckDB ingest and rules, is reported apart).

    .venv/bin/python benchmarks/bench_replay.py               # 8 h night, 3 repeats
    .venv/bin/python benchmarks/bench_replay.py --hours 2 --repeat 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np

from advisor import analyze
from advisor.advice.replay import (
    Setting,
    build_timeline,
    default_grid,
    grid_search,
    load_timelines,
    run_breaker,
)
from advisor.advice.replay.health import US
from advisor.advice.replay.timeline import FAIL, OK, REFUSED, Run
from advisor.advice.rules import load_rule_settings
from advisor.simulate import simulate

DATA = Path(__file__).resolve().parent / ".data"
END = "2026-11-28T06:00:00Z"


def busy_host(calls: int = 100_000, rate: float = 20.0, seed: int = 3):
    """Arrival times, recorded codes and Retry-After (all microseconds) of a busy host."""
    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.exponential(1.0 / rate, calls))
    down = np.zeros(calls, bool)
    start = 600.0
    while start < t[-1]:
        length = rng.uniform(60, 1800)
        down |= (t >= start) & (t < start + length)
        start += length + rng.uniform(1200, 4800)
    fails = down | (rng.random(calls) < 0.01)
    times = (t * US).astype(np.int64)
    outcome = np.where(fails, FAIL, OK).astype(np.int8)
    log: list[tuple[int, str, str]] = []
    run_breaker(Run(times, outcome, np.zeros(calls, np.int64)), 5, 60 * US, 1, 0, log)
    codes = outcome.copy()
    for (index, _, new), nxt in zip(log, log[1:] + [(calls, "", "")], strict=True):
        if new == "open":
            codes[index + 1 : nxt[0]] = REFUSED
    return times, codes


def best_of(repeat: int, work) -> tuple[float, float]:
    """Best and median wall seconds of ``repeat`` runs of ``work()``."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--size", type=int, default=11, help="grid values per knob")
    args = parser.parse_args()
    settings = load_rule_settings()
    grid = default_grid(settings, args.size)
    base = Setting(5, 60.0)
    print(f"{os.cpu_count()} CPUs; grid {len(grid.fail_max)} x {len(grid.reset_timeout_s)}")

    times, codes = busy_host()
    zeros = np.zeros(times.size, np.int64)
    keys = np.zeros(times.size, object)
    length = int(times[-1]) + 1

    def build():
        return build_timeline("busy.example", 0, length, keys, times, codes, zeros)

    timeline = build()
    best, median = best_of(args.repeat, build)
    print(
        f"host: {timeline.arrivals:,} calls ({timeline.refused:,} refused, "
        f"{timeline.health.inferred_share:.0%} inferred); timeline {best:.3f} s"
    )
    best, median = best_of(args.repeat, lambda: grid_search(build(), grid, base, 0.5))
    print(
        f"host: timeline + {args.size} x {args.size} grid best {best:.3f} s, median {median:.3f} s"
    )

    out = DATA / f"replay-crawl-night-{args.hours:g}h"
    if not (out / "manifest.sqlite3").exists():
        print(f"simulating crawl-night for {args.hours:g} h into {out} (once)...")
        simulate("crawl-night", out, hours=args.hours, seed=7, end=END, overwrite=True)
    started = time.perf_counter()
    analysis = analyze(out, window_s=args.hours * 3600, until=END, config=out / "breakers.yaml")
    analysed = time.perf_counter() - started

    def fleet():
        timelines = load_timelines(analysis.con, analysis.window)
        for host in analysis.hosts:
            grid_search(timelines[host.host], grid, Setting.from_current(host.current), 0.5)
        return timelines

    timelines = fleet()
    calls = sum(t.arrivals for t in timelines.values())
    best, median = best_of(args.repeat, fleet)
    print(
        f"fleet: {len(timelines)} hosts, {calls:,} calls; analyze {analysed:.2f} s (apart); "
        f"timelines + {args.size} x {args.size} grid per host best {best:.3f} s, "
        f"median {median:.3f} s"
    )


if __name__ == "__main__":
    main()
