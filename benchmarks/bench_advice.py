"""Advice quality against ground truth: does applying the advice lower the true cost?

For each simulator scenario x seed x mis-tuning of the current config, the simulator
writes a manifest and its ``truth.json`` (every host's real down intervals). The advisor
analyses the manifest as a user would (the whole run as the window); then every host's
recorded request stream is replayed through pybreaker's state machine against the host's
*true* health, for today's setting, for the advised one, and for every cell of the grid
(fail_max 2-20 x reset_timeout_s log-spaced 5-3600 s x success_threshold 1-3). True cost
= wasted + w * lost (DESIGN.md), *down* as ``advisor.simulate.truth`` has it.

Printed per scenario and overall:
  * right direction: per knob, the advice moves toward the optimum's value, or stays
    when today's value is within one grid step of it (all three knobs, per host, toward
    one near-optimal cell: on flat surfaces there are many), over hosts whose current
    setting costs >= 1.5 x the optimum (and over all hosts);
  * do-no-harm: advised true cost <= current x 1.1 + 1 call;
  * regret recovered: (current - advised) / (current - optimum), median over hosts
    that are really mis-tuned (current >= 1.2 x optimum + 5 calls);
  * changes above low confidence on hosts with < 50 calls;
  * rate_limit / retry_after_cap_s: direction only (throttled hosts: the cap rises to
    cover what the server asked for; no rate limit on a host that was never throttled);
  * the worst 10 hosts, with why.

Cells within 2 % (+1 call) of the cheapest are all optimal (the noise of one
realisation); "the optimum" quoted is the one nearest today's setting (the tie-break the
advice uses), and direction counts as right toward any of them.

Simulations are cached under benchmarks/.data/advice (they depend only on the simulator);
``--fresh`` rebuilds them.

    .venv/bin/python benchmarks/bench_advice.py                     # all scenarios, 3 seeds
    .venv/bin/python benchmarks/bench_advice.py --scenarios crawl-night --seeds 7 --hours 8
    .venv/bin/python benchmarks/bench_advice.py --json results.json  # also save per-host rows
    git worktree add /tmp/before <commit>                             # the same, scoring
    .venv/bin/python benchmarks/bench_advice.py --baseline /tmp/before  # an older advisor
    .venv/bin/python benchmarks/bench_advice.py --rolling threshold_failures:5,cooldown_s:60

``--rolling`` runs every simulation with ``advanced.rolling`` enabled (the policy is
fleet-wide) and also prints, per run, the true cost of today's rolling thresholds and of
the advised ones (``rolling.*`` recommendations), replayed with the breaker's current
setting against the truth; the breaker scoring above is unchanged.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from advisor import analyze
from advisor.advice.replay import Setting, load_timelines, replay
from advisor.advice.rules import rolling as rolling_rule
from advisor.advice.rules.decision import distance
from advisor.simulate import SCENARIOS, simulate
from tests.helpers.truth import truth_health

DATA = Path(__file__).resolve().parent / ".data" / "advice"
END = "2026-11-28T06:00:00Z"
W = 0.5
FAIL_MAX = tuple(range(2, 21))
RESET = tuple(float(f"{v:.2g}") for v in np.geomspace(5, 3600, 16))
THRESHOLD = (1, 2, 3)
KNOBS = ("fail_max", "reset_timeout_s", "success_threshold")
AXES = {"fail_max": FAIL_MAX, "reset_timeout_s": RESET, "success_threshold": THRESHOLD}
TUNINGS = ("scenario", "defaults", "shuffled")


@dataclass
class HostScore:
    """One host of one run, scored against its truth."""

    run: str
    host: str
    calls: int
    current: Setting
    advised: Setting
    optimum: Setting
    cost_current: float
    cost_advised: float
    cost_optimum: float
    confidence: dict[str, str]
    direction: dict[str, bool]
    other: list[str] = field(default_factory=list)  # rate_limit / cap findings
    reasons: list[str] = field(default_factory=list)

    @property
    def harm(self) -> bool:
        return self.cost_advised > self.cost_current * 1.1 + 1

    @property
    def mistuned(self) -> bool:
        return self.cost_current >= 1.2 * self.cost_optimum + 5

    @property
    def badly_tuned(self) -> bool:
        return self.cost_current >= 1.5 * self.cost_optimum and self.cost_current > 0

    @property
    def recovered(self) -> float:
        gap = self.cost_current - self.cost_optimum
        return (self.cost_current - self.cost_advised) / gap if gap > 0 else 1.0

    @property
    def right(self) -> bool:
        return all(self.direction.values())


def mistuning(scenario: str, seed: int, tuning: str) -> tuple[dict | None, dict | None]:
    """``(defaults, host_config)`` for ``simulate``: the scenario's own, plain defaults
    for every host, or per-host values drawn from a seeded RNG."""
    if tuning == "scenario":
        return None, None
    if tuning == "defaults":
        return None, {}
    rng = random.Random(f"{scenario}:{seed}:{tuning}")
    hosts = {}
    for process in SCENARIOS[scenario]().hosts:
        hosts[process.host] = {
            "fail_max": rng.choice([2, 3, 5, 10, 15]),
            "reset_timeout_s": rng.choice([5, 15, 60, 300, 900]),
        }
    return None, hosts


ROLLING: dict[str, Any] | None = None  # --rolling: advanced.rolling of every simulation


def parse_rolling(spec: str) -> dict[str, Any]:
    """``window_s:30,threshold_failures:5,cooldown_s:60`` -> an enabled ``advanced.rolling``."""
    values: dict[str, Any] = {"enabled": True}
    for item in spec.split(","):
        key, _, value = item.partition(":")
        values[key.strip()] = float(value) if key.strip() != "threshold_failures" else int(value)
    return values


def run_dir(scenario: str, seed: int, tuning: str, hours: float, fresh: bool) -> Path:
    """A cached simulation of the scenario under the tuning."""
    out = DATA / f"{scenario}-s{seed}-{tuning}-{hours:g}h"
    if ROLLING is not None:
        out = out.with_name(out.name + "-rolling-" + "-".join(
            f"{k}{v:g}" for k, v in ROLLING.items() if k != "enabled"))  # fmt: skip
    done = out / "truth.json"
    if done.exists() and not fresh:
        return out
    if out.exists():
        shutil.rmtree(out)
    defaults, host_config = mistuning(scenario, seed, tuning)
    extra: dict[str, Any] = {}
    if defaults is not None:
        extra["defaults"] = defaults
    if host_config is not None:
        extra["host_config"] = host_config
    if ROLLING is not None:
        extra["rolling"] = ROLLING
    simulate(scenario, out, hours=hours, seed=seed, end=END, overwrite=True, **extra)
    return out


def true_costs(timeline: Any, settings: list[Setting]) -> np.ndarray:
    """True cost (wasted + W * lost) of each setting over ``timeline`` (truth health)."""
    return np.array([replay(timeline, s, timings=False).cost(W) for s in settings])


def grid_settings(base: Setting) -> list[Setting]:
    return [
        Setting(f, t, s, base.retry_after_cap_s) for f in FAIL_MAX for t in RESET for s in THRESHOLD
    ]


def near_optimal(grid: list[Setting], costs: np.ndarray) -> list[int]:
    """Cells within 2 % + 1 call of the cheapest (the noise of one realisation of the
    traffic: on a flat cost surface all of them are optima)."""
    best = float(costs.min())
    return [k for k in range(len(grid)) if costs[k] <= best * 1.02 + 1]


def optimum(grid: list[Setting], costs: np.ndarray, current: Setting) -> tuple[Setting, float]:
    """Of the near-optimal cells, the one nearest today's setting."""
    k = min(near_optimal(grid, costs), key=lambda i: (distance(grid[i], current), costs[i]))
    return grid[k], float(costs[k])


def _step_index(axis: tuple, value: float) -> float:
    """Position of ``value`` on a grid axis (fractional, log scale between points)."""
    logs = np.log(np.asarray(axis, float))
    return float(np.interp(math.log(value), logs, np.arange(len(axis))))


def direction(current: Setting, advised: Setting, best: Setting) -> dict[str, bool]:
    """Per knob: moved toward the optimum's value, or stayed within one grid step of it."""
    result = {}
    for knob in KNOBS:
        axis = AXES[knob]
        now, adv, opt = (_step_index(axis, getattr(s, knob)) for s in (current, advised, best))
        if abs(now - opt) <= 1:
            result[knob] = abs(adv - opt) <= 1
        else:
            result[knob] = (adv - now) * (opt - now) > 0
    return result


def baseline_advice(source: Path, out: Path, hours: float) -> dict[str, list[dict]]:
    """``{host: recommendations}`` from another checkout of the advisor (its ``advisor``
    package at ``source``), run as a user would: ``breaker-advise --format json``."""
    command = [
        sys.executable, "-m", "advisor.cli", "advise", "--format", "json",
        "--window-s", str(hours * 3600), "--until", END,
        "--config", str(out / "breakers.yaml"), "--lost-weight", str(W), str(out),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(source)}
    done = subprocess.run(  # cwd: `-m` puts it first on sys.path, before PYTHONPATH
        command, env=env, cwd=source, capture_output=True, text=True, check=False
    )
    if done.returncode not in (0, 1):
        raise SystemExit(f"baseline advisor failed on {out}: {done.stderr.strip()[-500:]}")
    return {h["host"]: h["recommendations"] for h in json.loads(done.stdout)["hosts"]}


def score_run(
    scenario: str, seed: int, tuning: str, hours: float, fresh: bool, baseline: Path | None
) -> list[HostScore]:
    out = run_dir(scenario, seed, tuning, hours, fresh)
    truth = json.loads((out / "truth.json").read_text())
    analysis = analyze(
        [out], window_s=hours * 3600, until=END, config=out / "breakers.yaml", lost_weight=W
    )
    timelines = load_timelines(analysis.con, analysis.window, warmup_s=0)
    label = f"{scenario}/s{seed}/{tuning}"
    if baseline is not None:
        for host, recs in baseline_advice(baseline, out, hours).items():
            for mine in analysis.hosts:
                if mine.host == host:
                    mine.recommendations = recs
    scores = []
    for host, timeline in with_truth(analysis, timelines, truth):
        current = Setting.from_current(host.current)
        advised = current
        confidence = {}
        for rec in contract(host):
            if rec["parameter"] in KNOBS and rec["suggested"] != rec["current"]:
                advised = advised.with_value(rec["parameter"], rec["suggested"])
                confidence[rec["parameter"]] = rec["confidence"]
        grid = grid_settings(current)
        costs = true_costs(timeline, grid + [current, advised])
        cost_now, cost_adv = float(costs[-2]), float(costs[-1])
        best, cost_best = optimum(grid, costs[:-2], current)
        near = [grid[k] for k in near_optimal(grid, costs[:-2])]
        if cost_now <= cost_best:  # today's value is off-grid and at least as good
            best, cost_best, near = current, cost_now, [current]
        # right: the advice moves toward (or stays within a step of) *an* optimum
        moves = [direction(current, advised, s) for s in [best, *near]]
        right = max(moves, key=lambda m: sum(m.values()))
        spec = truth["hosts"][host.host]
        score = HostScore(
            label, host.host, int(host.metrics["calls"]), current, advised, best,
            cost_now, cost_adv, cost_best, confidence, right,
            reasons=[f"{r['parameter']}: {r['rule']}: {' '.join(r['reasons'])[:160]}"
                     for r in contract(host)],
        )  # fmt: skip
        score.other = other_knobs(host, spec)
        scores.append(score)
    if ROLLING is not None:
        rolling_score(label, analysis, timelines, truth)
    analysis.con.close()
    return scores


def with_truth(analysis: Any, timelines: dict[str, Any], truth: dict) -> Iterator[tuple]:
    """Each analysed host with a recorded timeline and a truth: (host, its timeline under
    the true health)."""
    for host in analysis.hosts:
        timeline = timelines.get(host.host)
        if timeline is not None and host.host in truth["hosts"]:
            yield host, timeline.with_health(truth_health(truth, timeline))


ROLLING_COSTS: list[tuple[float, float]] = []  # (today's, advised) true cost per run


def rolling_score(label: str, analysis: Any, timelines: dict[str, Any], truth: dict) -> None:
    """True cost over the run's hosts of today's rolling thresholds and the advised ones."""
    policy = analysis.config.rolling_settings()
    advised: Any = policy
    for host in analysis.hosts:
        for rec in contract(host):
            key = rec["parameter"].removeprefix("rolling.")
            if rec["parameter"].startswith("rolling.") and rec["suggested"] != rec["current"]:
                advised = None if key == "enabled" else replace(advised, **{key: rec["suggested"]})
        if advised != policy:
            break
    now = after = 0.0
    for host, timeline in with_truth(analysis, timelines, truth):
        current = Setting.from_current(host.current)
        now += rolling_rule.effect(timeline, current, policy).cost(W)
        after += rolling_rule.effect(timeline, current, advised).cost(W)
    ROLLING_COSTS.append((now, after))
    shown = "off" if advised is None else advised.to_dict()
    print(f"  rolling {label}: true cost today {now:.1f}, advised {after:.1f} ({shown})")


def contract(host: Any) -> list[dict[str, Any]]:
    """A host's recommendations as contract dicts (a ``--baseline`` run gives dicts)."""
    return [r if isinstance(r, dict) else r.to_dict() for r in host.recommendations]


def other_knobs(host: Any, spec: dict[str, Any]) -> list[str]:
    """Direction findings for rate_limit and retry_after_cap_s (not on the grid)."""
    found = []
    windows = (spec.get("rate_limit") or {}).get("windows") or []
    recs = {r["parameter"]: r for r in contract(host) if r["suggested"] != r["current"]}
    cap = host.current.get("retry_after_cap_s") or 0
    if "rate_limit" in recs and not windows:
        found.append("wrong: rate_limit on a host that was never throttled")
    if windows:
        longest = max(b - a for a, b in windows)
        rec = recs.get("retry_after_cap_s")
        if rec is not None and float(rec["suggested"]) < float(cap):
            found.append("wrong: retry_after_cap_s lowered on a throttled host")
        elif cap < longest and rec is None:
            found.append(f"missed: retry_after_cap_s {cap} below Retry-After up to {longest:.0f}")
        elif rec is not None:
            found.append("right: retry_after_cap_s raised")
    elif "retry_after_cap_s" in recs:
        found.append("wrong: retry_after_cap_s changed on a host that was never throttled")
    return found


def summary(scores: list[HostScore]) -> dict[str, Any]:
    bad = [s for s in scores if s.badly_tuned]
    mis = [s for s in scores if s.mistuned]
    small = [s for s in scores if s.calls < 50]
    other = [o for s in scores for o in s.other]
    return {
        "hosts": len(scores),
        "right_direction_badly_tuned": _share([s.right for s in bad]),
        "badly_tuned": len(bad),
        "right_direction_all": _share([s.right for s in scores]),
        "do_no_harm": _share([not s.harm for s in scores]),
        "harmed": sum(s.harm for s in scores),
        "regret_recovered_median": (
            round(statistics.median(s.recovered for s in mis), 3) if mis else None
        ),
        "mistuned": len(mis),
        "confident_changes_under_50_calls": sum(
            1 for s in small for c in s.confidence.values() if c != "low"
        ),
        "cost_current": round(sum(s.cost_current for s in scores), 1),
        "cost_advised": round(sum(s.cost_advised for s in scores), 1),
        "cost_optimum": round(sum(s.cost_optimum for s in scores), 1),
        "other_knobs_wrong": sum(o.startswith(("wrong", "missed")) for o in other),
        "other_knobs_right": sum(o.startswith("right") for o in other),
    }


def _share(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 3) if flags else None


def _fmt(s: Setting) -> str:
    return f"{s.fail_max}/{s.reset_timeout_s:g}/{s.success_threshold}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--tunings", default=",".join(TUNINGS))
    parser.add_argument("--hours", type=float, default=4.0)
    parser.add_argument("--fresh", action="store_true", help="re-run cached simulations")
    parser.add_argument("--json", type=Path, help="also write every host's score here")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="score the advice of another checkout (its root, e.g. a git worktree of an "
        "older commit) instead of this one's; the truth is scored the same way",
    )
    parser.add_argument(
        "--rolling",
        help="simulate with advanced.rolling enabled, e.g. "
        "window_s:30,threshold_failures:5,cooldown_s:60",
    )
    args = parser.parse_args()
    global ROLLING
    ROLLING = parse_rolling(args.rolling) if args.rolling else None
    started = time.perf_counter()
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    seeds = [int(s) for s in args.seeds.split(",")]
    tunings = [t.strip() for t in args.tunings.split(",") if t.strip()]
    everything: list[HostScore] = []
    per_scenario: dict[str, dict[str, Any]] = {}
    for name in scenarios:
        mine: list[HostScore] = []
        for seed in seeds:
            for tuning in tunings:
                mine.extend(score_run(name, seed, tuning, args.hours, args.fresh, args.baseline))
        per_scenario[name] = summary(mine)
        everything.extend(mine)
        print(f"{name:20s} {json.dumps(per_scenario[name])}", flush=True)
    overall = summary(everything)
    print("\nOVERALL", json.dumps(overall, indent=1))
    print("\nworst 10 hosts (advised - optimum true cost; current/advised/optimum as "
          "fail_max/reset/success_threshold):")  # fmt: skip
    worst = sorted(
        everything,
        key=lambda s: (-(s.harm), -(s.cost_advised - s.cost_optimum)),
    )[:10]
    for s in worst:
        print(
            f"  {s.run} {s.host}: current {_fmt(s.current)} cost {s.cost_current:.1f}; advised "
            f"{_fmt(s.advised)} {s.cost_advised:.1f}; optimum {_fmt(s.optimum)} "
            f"{s.cost_optimum:.1f}; calls {s.calls}; {'HARM ' if s.harm else ''}"
            f"direction {s.direction}"
        )
        for reason in s.reasons:
            print(f"      {reason}")
    if ROLLING_COSTS:
        now, after = (sum(c[i] for c in ROLLING_COSTS) for i in (0, 1))
        runs = sum(a <= n * 1.1 + 1 for n, a in ROLLING_COSTS)
        print(f"\nrolling: true cost today {now:.1f}, advised {after:.1f}; "
              f"no harm in {runs}/{len(ROLLING_COSTS)} runs")  # fmt: skip
    print(f"\n{len(everything)} hosts in {time.perf_counter() - started:.0f} s")
    if args.json:
        rows = [
            {**{k: v for k, v in vars(s).items() if k not in ("current", "advised", "optimum")},
             "current": _fmt(s.current), "advised": _fmt(s.advised), "optimum": _fmt(s.optimum)}
            for s in everything
        ]  # fmt: skip
        args.json.write_text(
            json.dumps({"overall": overall, "scenarios": per_scenario, "hosts": rows}, indent=1)
        )


if __name__ == "__main__":
    sys.exit(main())
