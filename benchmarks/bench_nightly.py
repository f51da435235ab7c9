"""Benchmark the nightly job: 31 nights of synthetic telemetry, one new manifest per night.

Prints the time of night 1 and night 31 (target: night 31 within 1.5x of night 1,
since a night reads only new rows) and the store size per million events.

    .venv/bin/python benchmarks/bench_nightly.py --events-per-night 1000000
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

from advisor.nightly import run_nightly

HOSTS = [f"api{i}.example.org" for i in range(20)]


def write_night(path: Path, night: date, events: int, seed: int) -> None:
    """``http_events`` rows spread over the UTC day ``night`` (random hosts and outcomes)."""
    rng = np.random.default_rng(seed)
    start = datetime.combine(night, datetime.min.time(), tzinfo=UTC).timestamp()
    ts = np.sort(start + rng.random(events) * 86400)
    host = rng.integers(0, len(HOSTS), events)
    failed = rng.random(events) < 0.03
    status = np.where(failed, 503, 200)
    recorded = np.where(failed, "failure", "success")
    elapsed = rng.gamma(2.0, 60.0, events)
    rows = zip(ts.tolist(), (HOSTS[h] for h in host), status.tolist(), recorded.tolist(),
               elapsed.tolist(), strict=True)  # fmt: skip
    with sqlite3.connect(path) as con:
        con.execute(
            "CREATE TABLE http_events (run_id TEXT, ts REAL, host TEXT, role TEXT, status INTEGER,"
            " from_cache INTEGER, breaker_state TEXT, breaker_recorded TEXT, elapsed_ms REAL)"
        )
        con.executemany(
            "INSERT INTO http_events VALUES ('bench', ?, ?, 'api', ?, 0, 'closed', ?, ?)", rows
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events-per-night", type=int, default=1_000_000)
    parser.add_argument("--nights", type=int, default=31)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        runs, store, out = root / "runs", root / "advisor.duckdb", root / "reports"
        runs.mkdir()
        first = date(2026, 1, 1)
        timings = []
        for i in range(args.nights):
            night = first + timedelta(days=i)
            write_night(runs / f"{night}.sqlite3", night, args.events_per_night, i)
            started = time.perf_counter()
            run_nightly([runs], store, out, night=night)
            timings.append(time.perf_counter() - started)
            print(f"night {i + 1:2d} {night}: {timings[-1]:6.2f} s", flush=True)
        total = args.events_per_night * args.nights
        size = sum(p.stat().st_size for p in root.glob("advisor.duckdb*"))
        print(f"night 1: {timings[0]:.2f} s, night {args.nights}: {timings[-1]:.2f} s "
              f"(ratio {timings[-1] / timings[0]:.2f})")  # fmt: skip
        print(f"store: {size / 1e6:.1f} MB for {total / 1e6:.2f} M events "
              f"= {size / (total / 1e6) / 1e6:.1f} MB per million events")  # fmt: skip


if __name__ == "__main__":
    main()
