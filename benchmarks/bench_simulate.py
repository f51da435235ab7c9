"""Simulator throughput: events written per second, end to end.

Runs a scenario through the real registry, listener and writer into a temporary folder
and prints, per worker count, events per wall-clock second (best and median of
``--repeat`` runs) and events per CPU-second (this process and its workers). With one
worker the wall-clock figure approaches the CPU one on an otherwise idle machine; with
two (what ``breaker-advisor simulate`` uses by default on a machine with two CPUs, for
runs of 100,000 calls or more: ``--workers auto``) it approaches twice that, less the
workers' start (about 0.3 s)::

    .venv/bin/python benchmarks/bench_simulate.py --hours 2 --workers 1 2 auto
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile

from advisor.simulate import simulate


def cpu_seconds() -> float:
    """User + system CPU time of this process and of its finished children."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="crawl-night")
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--workers", nargs="+", default=["1", "2"], help="numbers or 'auto'")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{args.scenario}, {args.hours:g} h of virtual time, {os.cpu_count()} CPUs")
    for workers in args.workers:
        wall, per_cpu = [], []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as out:
                before = cpu_seconds()
                result = simulate(
                    args.scenario, out, hours=args.hours, seed=1, end=1.8e9, workers=workers
                )
                per_cpu.append(result.events / (cpu_seconds() - before))
                wall.append(result.events_per_s)
        print(
            f"workers={workers}: {result.events:,} events ({result.calls:,} calls); "
            f"wall: best {max(wall):,.0f}/s, median {statistics.median(wall):,.0f}/s; "
            f"per CPU-second: {statistics.median(per_cpu):,.0f}"
        )


if __name__ == "__main__":
    main()
