"""Simulator throughput: events written per second, end to end.

Runs ``crawl-night`` through the real registry, listener and writer into a temporary
folder and prints events/s (best of ``--repeat`` runs) for each worker count::

    .venv/bin/python benchmarks/bench_simulate.py --hours 2 --workers 1 2
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

from advisor.simulate import simulate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="crawl-night")
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{args.scenario}, {args.hours:g} h virtual time, {os.cpu_count()} CPUs")
    for workers in args.workers:
        rates, cpu = [], []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as out:
                started = time.process_time()
                result = simulate(
                    args.scenario, out, hours=args.hours, seed=1, end=1.8e9, workers=workers
                )
                cpu.append(time.process_time() - started)
                rates.append(result.events_per_s)
        print(
            f"workers={workers}: {result.events:,} events, {result.calls:,} calls; "
            f"best {max(rates):,.0f} events/s, median {statistics.median(rates):,.0f} events/s"
        )


if __name__ == "__main__":
    main()
