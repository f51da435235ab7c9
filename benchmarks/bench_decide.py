"""Benchmark: the decision model (the rules stage), seconds per troubled breaker.

Reads a cached bench_advise data set (default 300 k events over 20 hosts, the same
events per host as bench_advise's 3 M / 200-host set), analyses it without the replay
back-test, and times ``advice.rules.tuning.propose`` (fit, imputations, candidate
pricing, bootstrap) host by host. Prints wall and CPU seconds, per decided host, best
of ``--runs``, and a digest of the JSON contract so that two versions of the advisor
can be compared for identical advice:

    .venv/bin/python benchmarks/bench_decide.py
    git worktree add --detach /tmp/before HEAD~1          # the older advisor, same data:
    ln -s $PWD/benchmarks/.data /tmp/before/benchmarks/
    PYTHONPATH=/tmp/before .venv/bin/python benchmarks/bench_decide.py
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _bench_advise() -> Any:
    """bench_advise's data-set generator (its data sets are cached under .data)."""
    spec = importlib.util.spec_from_file_location("bench_advise", HERE / "bench_advise.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_once(folder: Path) -> tuple[float, float, int, str]:
    """(wall s, CPU s) spent in the decision model, breakers decided, contract digest."""
    from advisor import queries
    from advisor.advice.rules import load_rule_settings, tuning
    from advisor.config import load_config
    from advisor.ingest.database import connect
    from advisor.ingest.events import load_events
    from advisor.ingest.sources import open_sources
    from advisor.pipeline import analyze_window
    from advisor.window import make_window, parse_until

    con = connect()
    found = open_sources(con, [folder])
    load_events(con, found)
    latest = con.execute(queries.load("events/latest")).fetchone()[0]
    window = make_window(172_800, parse_until("latest", latest))
    settings, config = load_rule_settings(None), load_config(None, env={})
    spent = [0.0, 0.0, 0]
    propose = tuning.propose

    def timed(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        outcome = propose(*args, **kwargs)
        spent[0] += time.perf_counter() - wall
        spent[1] += time.process_time() - cpu
        spent[2] += outcome.decision is not None
        return outcome

    tuning.propose = timed
    try:
        result = analyze_window(
            con,
            window,
            found,
            config=config,
            settings=settings,
            replay=False,
            generated_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
    finally:
        tuning.propose = propose
    digest = hashlib.sha256(result.to_json().encode()).hexdigest()[:16]
    return spent[0], spent[1], int(spent[2]), digest


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--events", type=float, default=3e5)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--files", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3, help="best of this many runs")
    args = parser.parse_args()
    folder = _bench_advise().dataset(int(args.events), args.hosts, args.files)
    import advisor

    print(f"advisor from {Path(advisor.__file__).parent}", file=sys.stderr)
    runs = [run_once(folder) for _ in range(args.runs)]
    digests = {r[3] for r in runs}
    wall, cpu, decided, digest = min(runs)
    print(
        f"decision model: {wall:.2f} s wall, {cpu:.2f} s CPU over {decided} breakers "
        f"({wall / max(decided, 1):.3f} s wall, {cpu / max(decided, 1):.3f} s CPU per breaker; "
        f"best of {args.runs}; all wall: {', '.join(f'{r[0]:.2f}' for r in runs)})"
    )
    print(f"contract digest: {digest}" + ("" if len(digests) == 1 else f" VARIES: {digests}"))


if __name__ == "__main__":
    main()
