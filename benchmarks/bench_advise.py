"""Benchmark: breaker-advise over N events in M manifest files, against two baselines.

Prints, in one run:
  * advise   - cold wall time (a new process, no cache), its seconds per million events
               and peak RSS of `breaker-advise --format json` over all files;
  * floor    - SQLite's own full scan of the same tables (count, sum of lengths, sum of ts);
  * seed SQL - the seed guide's monitoring queries (opens per host, average open
               duration, half-open success) run with sqlite3, file by file;
and the ratios issue 15 sets targets for (3 M / 20 files: advise <= 4 x floor; the
single 5.2 M-event file <= 3 x; peak RSS <= 1.5 GB at 10 M, <= 2 GB at 30 M).

    python benchmarks/bench_advise.py                 # 3 M events, 200 hosts, 20 files
    python benchmarks/bench_advise.py --sizes 1e6,3e6,10e6 --breakdown
    python benchmarks/bench_advise.py --huge          # also 30 M events in 100 files
    python benchmarks/bench_advise.py --single-file   # also one 5.2 M-event manifest
    python benchmarks/bench_advise.py --baseline /tmp/before   # outputs identical?

`--breakdown` adds the time of each stage (reading, metrics, rules, replay back-test);
`--baseline PATH` runs a checkout of another commit (PYTHONPATH=PATH) on each data set
and checks that its JSON equals this tree's (floats to 1e-9 relative).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / ".data"
T_END = 1_768_464_000.0
SPAN = 86400.0  # the day the events cover
ROLES = ("metadata", "landing", "artifact")

SEED_QUERIES = {
    "opens per host": """
        SELECT host, COUNT(*) AS opens FROM breaker_events
        WHERE event_type = 'state_change' AND details LIKE '%"new_state": "open"%'
          AND ts > :since GROUP BY host ORDER BY opens DESC""",
    "average open duration": """
        SELECT host, AVG(next_ts - ts) FROM (
            SELECT host, ts, details,
                   LEAD(ts) OVER (PARTITION BY host ORDER BY ts) AS next_ts
            FROM breaker_events WHERE event_type = 'state_change')
        WHERE details LIKE '%"new_state": "open"%' GROUP BY host""",
    "half-open success rate": """
        SELECT host,
               SUM(CASE WHEN event_type = 'success' THEN 1 ELSE 0 END) AS successes,
               SUM(CASE WHEN event_type = 'failure' THEN 1 ELSE 0 END) AS failures
        FROM breaker_events WHERE details LIKE '%"state": "half_open"%' GROUP BY host""",
}


FAIL_MAX = 5
RESET_TIMEOUT_S = 60.0
OUTAGES_PER_DAY = 10  # per host; mean length OUTAGE_S, calls fail while it lasts
OUTAGE_S = 900.0


class _Host:
    """One host's breaker as pybreaker runs it, and its outages (down -> calls fail)."""

    def __init__(self, rng: random.Random, span: float) -> None:
        self.state, self.fails, self.opened_at = "closed", 0, 0.0
        self.outages = []
        t = T_END - span
        while t < T_END:
            t += rng.expovariate(OUTAGES_PER_DAY / 86400.0)
            self.outages.append((t, t + rng.expovariate(1.0 / OUTAGE_S)))

    def down(self, ts: float) -> bool:
        while self.outages and self.outages[0][1] < ts:
            self.outages.pop(0)
        return bool(self.outages) and self.outages[0][0] <= ts


def generate(folder: Path, events: int, hosts: int, files: int, seed: int = 7) -> None:
    """Write ``events`` seed-layout rows over ``files`` manifests (one run each).

    Every host's calls go through a breaker that behaves like pybreaker (``FAIL_MAX``
    consecutive failures open it; calls while open are ``rejected``; the first call after
    ``RESET_TIMEOUT_S`` is the half-open trial) over a host that fails 10 % of calls and
    is down (every call fails) ~``OUTAGES_PER_DAY`` times a day: about 2 % of the rows
    are state changes.
    """
    rng = random.Random(seed)
    names = [f"host-{i:03d}.example.org" for i in range(hosts)]
    breakers = {name: _Host(rng, SPAN) for name in names}
    per_file = events // files
    folder.mkdir(parents=True, exist_ok=True)
    for f in range(files):
        path = folder / f"run-{f:02d}" / "manifest.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        times = T_END - SPAN + SPAN * (f * per_file + np.arange(per_file)) / (files * per_file)
        rows = _run_rows(f"run-{f:02d}", times.tolist(), names, breakers, rng)
        con = sqlite3.connect(path)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute(
            "CREATE TABLE breaker_events (id INTEGER PRIMARY KEY, ts REAL, host TEXT, "
            "event_type TEXT, details TEXT)"
        )
        con.executemany(
            "INSERT INTO breaker_events (ts, host, event_type, details) VALUES (?, ?, ?, ?)", rows
        )
        con.execute("CREATE INDEX ix_breaker_events_ts_host ON breaker_events (ts, host)")
        con.commit()
        con.close()


def _run_rows(
    run_id: str,
    times: list[float],
    names: list[str],
    breakers: dict[str, _Host],
    rng: random.Random,
) -> list[tuple[float, str, str, str]]:
    """One run's rows, one per entry of ``times`` (a call, or a state change just after)."""
    rows: list[tuple[float, str, str, str]] = []

    def change(ts: float, host: str, b: _Host, new: str) -> None:
        details = {"old_state": b.state, "new_state": new,
                   "reset_timeout_s": RESET_TIMEOUT_S, "run_id": run_id}  # fmt: skip
        rows.append((ts, host, "state_change", json.dumps(details)))
        b.state = new

    i = 0
    while len(rows) < len(times):
        ts = times[len(rows)]
        i += 1
        host = names[rng.randrange(len(names))]
        b = breakers[host]
        role = ROLES[i % 3]
        if b.state == "open":
            if ts < b.opened_at + RESET_TIMEOUT_S:
                details = {"state": "open", "reason": "breaker_open", "role": role,
                           "run_id": run_id}  # fmt: skip
                rows.append((ts, host, "rejected", json.dumps(details)))
                continue
            change(ts, host, b, "half_open")
        ok = rng.random() < (0.02 if b.down(ts) else 0.9)
        details = {
            "state": b.state,
            "status": 200 if ok else rng.choice((429, 500, 503)),
            "role": role,
            "elapsed_ms": round(rng.uniform(5, 900), 1),
            "run_id": run_id,
        }
        if not ok and details["status"] == 429:
            details["retry_after_s"] = rng.choice((5, 30, 120))
        rows.append((ts, host, "success" if ok else "failure", json.dumps(details)))
        after = ts + 0.001
        if b.state == "half_open":
            change(after, host, b, "closed" if ok else "open")
            b.fails, b.opened_at = 0, after
        elif ok:
            b.fails = 0
        else:
            b.fails += 1
            if b.fails >= FAIL_MAX:
                change(after, host, b, "open")
                b.fails, b.opened_at = 0, after
    return rows[: len(times)]


def dataset(events: int, hosts: int, files: int) -> Path:
    # the epoch is in the name: cached data from another epoch would all be in the future
    folder = DATA / f"breaker-e{events}-h{hosts}-f{files}-t{int(T_END)}"
    if not (folder / "complete").exists():
        shutil.rmtree(folder, ignore_errors=True)
        started = time.perf_counter()
        print(f"generating {events:,} events in {files} files ...", file=sys.stderr, flush=True)
        generate(folder, events, hosts, files)
        (folder / "complete").write_text("")
        print(f"  generated in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return folder


def manifests(folder: Path) -> list[Path]:
    return sorted(folder.rglob("manifest.sqlite3"))


def run_advise(folder: Path, checkout: Path | None = None) -> tuple[float, float, bytes]:
    """Wall seconds, peak RSS (MB) and JSON output of one cold breaker-advise run (a new
    process); ``checkout``: run that source tree instead of the installed package."""
    exe = Path(sys.executable).with_name("breaker-advise")
    cmd = [str(exe), "--format", "json", "--until", "latest", "--window-s", "172800", str(folder)]
    env = dict(os.environ, SOURCE_DATE_EPOCH="1")
    if checkout is not None:
        env["PYTHONPATH"] = str(checkout)
    started = time.perf_counter()
    with (
        open(os.devnull, "wb") as sink,
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=sink, env=env) as proc,
    ):
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)  # the child's own peak RSS
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"breaker-advise failed with exit code {proc.returncode}")
    return wall, usage.ru_maxrss / 1024, out


def time_advise(folder: Path) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MB) and host count of one breaker-advise run."""
    wall, rss, out = run_advise(folder)
    return wall, rss, len(json.loads(out)["hosts"])


def differences(ours: object, theirs: object, where: str = "$", rel: float = 1e-9) -> list[str]:
    """Where two JSON documents differ: floats within ``rel`` relative are equal, and
    ``generated_at`` is ignored."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        keys = (set(ours) | set(theirs)) - {"generated_at"}
        return [d for k in sorted(keys, key=str)
                for d in differences(ours.get(k), theirs.get(k), f"{where}.{k}", rel)]  # fmt: skip
    if isinstance(ours, list) and isinstance(theirs, list):
        if len(ours) != len(theirs):
            return [f"{where}: {len(ours)} items, baseline {len(theirs)}"]
        return [d for i, (a, b) in enumerate(zip(ours, theirs, strict=True))
                for d in differences(a, b, f"{where}[{i}]", rel)]  # fmt: skip
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (ours, theirs))
    if numbers and (isinstance(ours, float) or isinstance(theirs, float)):
        if math.isclose(ours, theirs, rel_tol=rel, abs_tol=0.0):  # type: ignore[arg-type]
            return []
    elif ours == theirs:
        return []
    return [f"{where}: {ours!r}, baseline {theirs!r}"]


def check_baseline(folder: Path, baseline: Path) -> str:
    """Whether this tree and the checkout ``baseline`` print the same JSON for ``folder``."""
    ours = json.loads(run_advise(folder)[2])
    theirs = json.loads(run_advise(folder, baseline)[2])
    found = differences(ours, theirs)
    if not found:
        return "identical to the baseline (floats to 1e-9 relative)"
    return f"{len(found)} difference(s) from the baseline: " + "; ".join(found[:5])


def time_floor(paths: list[Path]) -> float:
    started = time.perf_counter()
    for path in paths:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        con.execute(
            "SELECT count(*), sum(length(details)), sum(length(host)), sum(ts) FROM breaker_events"
        ).fetchall()
        con.close()
    return time.perf_counter() - started


def time_seed_sql(paths: list[Path]) -> float:
    started = time.perf_counter()
    for path in paths:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        for sql in SEED_QUERIES.values():
            con.execute(sql, {"since": T_END - 3600}).fetchall()
        con.close()
    return time.perf_counter() - started


def breakdown(folder: Path) -> dict[str, float]:
    """Seconds per stage of one in-process analysis (what the advise wall time is made of)."""
    from advisor import queries
    from advisor.advice.rules import load_rule_settings
    from advisor.config import load_config
    from advisor.ingest.database import connect
    from advisor.ingest.events import load_events
    from advisor.ingest.sources import open_sources
    from advisor.metrics.hosts import compute_relations, host_metrics
    from advisor.pipeline import analyze_window

    try:
        from advisor.pipeline import attach_replay
    except ImportError:  # a --baseline checkout from before the re-layering's last step
        from advisor.advice.replay import attach_replay  # type: ignore[attr-defined,no-redef]
    from advisor.window import make_window, parse_until

    stages: dict[str, float] = {}
    started = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal started
        now = time.perf_counter()
        stages[name] = now - started
        started = now

    con = connect()
    found = open_sources(con, [folder])
    load_events(con, found)
    lap("read + normalise")
    latest = con.execute(queries.load("events/latest")).fetchone()[0]
    window = make_window(172_800, parse_until("latest", latest))
    compute_relations(con, window)
    host_metrics(con, window)
    lap("metrics")
    settings, config = load_rule_settings(None), load_config(None, env={})
    result = analyze_window(con, window, found, config=config, settings=settings, replay=False)
    lap("metrics + rules")
    attach_replay(result)
    lap("replay back-test")
    return {
        "read + normalise": stages["read + normalise"],
        "metrics": stages["metrics"],
        "rules": stages["metrics + rules"] - stages["metrics"],  # analyze_window redoes metrics
        "replay back-test": stages["replay back-test"],
    }


def best_of(runs: int, fn, *args):
    results = [fn(*args) for _ in range(runs)]
    return min(results, key=lambda r: r[0] if isinstance(r, tuple) else r)


def report_size(args: argparse.Namespace, label: str, size: int, folder: Path) -> None:
    """One line of figures for the data set in ``folder`` (``size`` events), then the
    stages and the baseline check when asked for."""
    paths = manifests(folder)
    advise_s, rss, hosts = best_of(args.runs, time_advise, folder)
    floor_s = best_of(args.runs, time_floor, paths)
    seed_s = best_of(args.runs, time_seed_sql, paths)
    print(
        f"{label:>9} {size:>12,} {advise_s:>9.2f} {advise_s / (size / 1e6):>6.2f} {rss:>7.0f} "
        f"{floor_s:>8.2f} {seed_s:>7.2f} {advise_s / floor_s:>9.2f} {seed_s / advise_s:>9.2f} "
        f"{hosts:>6}",
        flush=True,
    )
    if args.breakdown:
        parts = breakdown(folder)
        print("    stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in parts.items()), flush=True)
    if args.baseline:
        print(f"    outputs: {check_baseline(folder, args.baseline)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sizes", default="3e6", help="comma-separated event counts")
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3, help="best of this many runs")
    parser.add_argument(
        "--breakdown", action="store_true", help="also time each stage in-process, per size"
    )
    parser.add_argument(
        "--huge", action="store_true", help="also 30 M events in 100 files (generated once)"
    )
    parser.add_argument(
        "--single-file", action="store_true", help="also one manifest of 5.2 M events"
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a checkout of another commit: check its JSON equals this tree's on each data set",
    )
    args = parser.parse_args()
    print(f"{'files':>9} {'events':>12} {'advise s':>9} {'s/M':>6} {'RSS MB':>7} {'floor s':>8} "
          f"{'seed s':>7} {'adv/floor':>9} {'seed/adv':>9} {'hosts':>6}")  # fmt: skip
    runs = [(int(float(s)), args.files) for s in args.sizes.split(",")]
    if args.huge:
        runs.append((30_000_000, 100))
    for size, files in runs:
        report_size(args, f"{files} files", size, dataset(size, args.hosts, files))
    if args.single_file:
        report_size(args, "1 file", 5_200_000, dataset(5_200_000, args.hosts, 1))
    print("targets: adv/floor <= 4 (3 M / 20 files), <= 3 (1 file); "
          "RSS <= 1536 MB at 10 M, <= 2048 MB at 30 M")  # fmt: skip


if __name__ == "__main__":
    main()
