"""One decision per breaker: the expected cost of every candidate setting under the
fitted model, the setting to recommend, and how sure we are (docs/design.md, "How the
advisor decides").

* Expected cost of a candidate (``wasted + w * lost`` over the window): pybreaker's
  state machine replayed over the host's recorded arrivals, under each imputed health
  of ``advisor.advice.rules.model``, averaged. The recorded arrivals carry the host's real
  traffic (rate over its active time, idle gaps, bursts) and noise streaks as they were.
* The advice: the cheapest candidate, or among those within a small tolerance of it the
  one nearest today's setting; today's when it is within that tolerance itself.
* Confidence: the trouble stretches (runs of failures apart by a quiet gap) are
  resampled with replacement, each resample under one imputation; the share of
  resamples in which the change lowers cost, with ``n`` stretches. Seeded by the breaker
  name, so a result never depends on batching, order or ``--host``.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np

from advisor.advice.replay.evaluate import Imputed
from advisor.advice.replay.machine import Setting, Transition, run_breaker
from advisor.advice.replay.timeline import FAIL, NEUTRAL, OK, Run, Timeline, seconds_to_us
from advisor.rule_settings import RuleSettings

KNOBS = ("fail_max", "reset_timeout_s", "success_threshold")
FAIL_MAX = (2, 3, 4, 5, 6, 8, 10, 12, 15, 20)
RESET_POINTS = 22
THRESHOLDS = (1, 2, 3)
RESAMPLES = 400
THRESHOLD_PAIRS = 6  # best fail_max x reset_timeout_s pairs tried with other thresholds


@dataclass(frozen=True)
class Costs:
    """Expected wasted and lost calls of one setting (means over the imputations)."""

    wasted: float
    lost: float
    w: float

    @property
    def cost(self) -> float:
        return self.wasted + self.w * self.lost

    def to_dict(self) -> dict[str, float]:
        return {
            "cost": round(self.cost, 2),
            "wasted": round(self.wasted, 2),
            "lost": round(self.lost, 2),
        }


@dataclass(frozen=True)
class Decision:
    """What the model says about one breaker."""

    current: Setting
    chosen: Setting
    optimum: Setting
    costs: dict[Setting, Costs]
    share: float | None  # resamples in which ``chosen`` is cheaper than ``current``
    n: int  # trouble stretches behind the decision
    imputations: int

    @property
    def changed(self) -> bool:
        """Whether a breaker knob changes (the Retry-After cap is another rule's)."""
        return any(getattr(self.chosen, k) != getattr(self.current, k) for k in KNOBS)

    def saving(self) -> float:
        return self.costs[self.current].cost - self.costs[self.chosen].cost


def candidates(
    current: Setting,
    settings: RuleSettings,
    cap_s: float | None = None,
    max_fail: int | None = None,
    outage_s: tuple[float, ...] = (),
) -> list[Setting]:
    """The grid within the rules' bounds, plus today's values of each knob and a
    timeout just past each of ``outage_s`` (typical outage lengths: probing right after
    a host's usual recovery is often the cheapest); every candidate with Retry-After cap
    ``cap_s`` (today's when None), fail_max at most ``max_fail`` when given."""
    f_lo, f_hi = settings.bounds["fail_max"]
    if max_fail is not None:
        f_hi = min(f_hi, max_fail)
    t_lo, t_hi = settings.bounds["reset_timeout_s"]
    s_lo, s_hi = settings.bounds["success_threshold"]
    fails = sorted({f for f in FAIL_MAX if f_lo <= f <= f_hi} | {current.fail_max})
    resets = sorted(
        {float(f"{v:.2g}") for v in np.geomspace(t_lo, t_hi, RESET_POINTS)}
        | {float(current.reset_timeout_s)}
        | {float(f"{1.05 * d:.3g}") for d in outage_s if t_lo <= 1.05 * d <= t_hi}
    )
    thresholds = sorted({s for s in THRESHOLDS if s_lo <= s <= s_hi} | {current.success_threshold})
    cap = current.retry_after_cap_s if cap_s is None else float(cap_s)
    return [Setting(f, t, s, cap) for f in fails for t in resets for s in thresholds]


def expected_costs(
    timelines: list[Timeline] | Imputed, grid: list[Setting], w: float
) -> dict[Setting, Costs]:
    """Mean (wasted, lost) of each setting over the imputed timelines."""
    imputed = timelines if isinstance(timelines, Imputed) else Imputed(timelines)
    result = {}
    for setting in grid:
        pairs = imputed.costs(setting)
        result[setting] = Costs(
            float(np.mean([p[0] for p in pairs])), float(np.mean([p[1] for p in pairs])), w
        )
    return result


def distance(a: Setting, b: Setting) -> float:
    """How far apart two settings are: summed log ratios of their knobs."""
    return (
        abs(math.log(a.fail_max / b.fail_max))
        + abs(math.log(a.reset_timeout_s / b.reset_timeout_s))
        + abs(math.log(a.success_threshold / b.success_threshold))
    )


def choose(
    costs: dict[Setting, Costs], current: Setting, settings: RuleSettings
) -> tuple[Setting, Setting]:
    """(chosen, optimum): the cheapest setting, and the one to recommend: today's when
    it is within tolerance of the optimum, else the nearest today's within it."""
    cfg = settings.decision
    optimum = min(costs, key=lambda s: (costs[s].cost, distance(s, current)))
    best = costs[optimum].cost
    tolerance = max(cfg.tolerance_calls, cfg.tolerance_fraction * best)
    if costs[current].cost <= best + tolerance:
        return current, optimum
    near = [s for s in costs if costs[s].cost <= best + tolerance]
    chosen = min(near, key=lambda s: (distance(s, current), costs[s].cost))
    return chosen, optimum


def _outcomes(run: Run) -> np.ndarray:
    codes = np.full(run.n, NEUTRAL, np.int8)
    codes[run.fidx] = FAIL
    codes[run.sidx] = OK
    return codes


def _replay(run: Run, s: Setting, log: list[Transition] | None = None) -> tuple[float, float]:
    """(wasted, lost) of one setting over one run."""
    counts = run_breaker(
        run,
        s.fail_max,
        seconds_to_us(s.reset_timeout_s),
        s.success_threshold,
        seconds_to_us(s.retry_after_cap_s),
        log,
    )
    return run.failures - counts.refused_fail, counts.refused_ok


def _renewals(run: Run, settings: tuple[Setting, ...]) -> np.ndarray:
    """Indices after which the run splits into independent stretches: a success after
    which every setting's breaker is closed with no failure counted and no Retry-After
    cooldown running, followed by a failure (a new stretch of trouble begins)."""
    ok: np.ndarray = np.asarray(run.sidx, np.int64)
    if ok.size == 0 or not run.fidx:
        return np.zeros(0, np.int64)
    codes = _outcomes(run)
    ok = ok[(ok + 1 < run.n)]
    ok = ok[codes[ok + 1] == FAIL]
    t = np.asarray(run.t, np.int64)
    for s in settings:
        log: list[Transition] = []
        _replay(run, s, log)
        if log:
            at = np.asarray([i for i, _, _ in log], np.int64)
            closed = np.asarray([new == "closed" for _, _, new in log])
            last = np.searchsorted(at, ok, side="right") - 1
            ok = ok[(last < 0) | closed[np.maximum(last, 0)]]
        cap = seconds_to_us(s.retry_after_cap_s)
        if cap > 0 and run.raidx:
            ra = np.asarray(run.ra, np.int64)
            until = np.where(ra > 0, t + np.minimum(ra, cap), 0)
            ok = ok[np.maximum.accumulate(until)[ok] <= t[ok]]
    return ok + 1


def _segment_deltas(timeline: Timeline, current: Setting, chosen: Setting, w: float) -> np.ndarray:
    """Per independent stretch of trouble (``_renewals``), cost under ``chosen`` minus
    cost under ``current``; they add up to the whole timeline's difference."""
    deltas = []
    for run in timeline.runs:
        cuts = _renewals(run, (current, chosen))
        t = np.asarray(run.t, np.int64)
        codes, ra = _outcomes(run), np.asarray(run.ra, np.int64)
        bounds = np.concatenate([[0], cuts, [run.n]])
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            seg = run if cuts.size == 0 else Run(t[a:b], codes[a:b], ra[a:b], run.up[a:b])
            if not seg.fidx:
                continue
            (wa, la), (wb, lb) = _replay(seg, current), _replay(seg, chosen)
            deltas.append((wb + w * lb) - (wa + w * la))
    return np.asarray(deltas, float)


def bootstrap_share(
    timelines: list[Timeline], current: Setting, chosen: Setting, w: float, seed_key: str
) -> tuple[float, int]:
    """Share of resamples in which ``chosen`` costs less than ``current``, among those
    in which the two differ at all; and the number of stretches of trouble in which
    they differ (in the first imputation).

    Each resample draws one imputation and, with replacement, as many stretches as that
    imputation has in which the two settings differ (stretches both handle alike carry
    no information about the change).
    """
    deltas = [d[d != 0] for d in (_segment_deltas(t, current, chosen, w) for t in timelines)]
    if not any(d.size for d in deltas):
        return 0.0, 0
    rng = np.random.default_rng(zlib.crc32(seed_key.encode()))
    which = rng.integers(0, len(deltas), RESAMPLES)
    sums = np.zeros(RESAMPLES)
    for i, k in enumerate(which):
        d = deltas[k]
        if d.size:
            sums[i] = d[rng.integers(0, d.size, d.size)].sum()
    differ = sums != 0
    share = float(np.mean(sums[differ] < 0)) if differ.any() else 0.0
    return share, int(deltas[0].size)


def decide(
    timelines: list[Timeline],
    current: Setting,
    settings: RuleSettings,
    seed_key: str,
    *,
    cap_s: float | None = None,
    max_fail: int | None = None,
    outage_s: tuple[float, ...] = (),
) -> Decision:
    """The decision for one breaker from its imputed timelines (``cap_s``, ``max_fail``
    and ``outage_s`` as in ``candidates``; ``seed_key`` names the breaker)."""
    w = settings.lost_weight
    grid = candidates(current, settings, cap_s, max_fail, outage_s)
    # fail_max x reset_timeout_s at today's threshold first; the other thresholds only
    # for the best few pairs (the threshold moves cost far less than the other two)
    first = [s for s in grid if s.success_threshold == current.success_threshold]
    imputed = Imputed(timelines)
    costs = expected_costs(imputed, [*first, current] if current not in first else first, w)
    best = sorted(first, key=lambda s: costs[s].cost)[:THRESHOLD_PAIRS]
    pairs = {(s.fail_max, s.reset_timeout_s) for s in best}
    rest = [s for s in grid if (s.fail_max, s.reset_timeout_s) in pairs and s not in costs]
    costs.update(expected_costs(imputed, rest, w))
    chosen, optimum = choose(costs, current, settings)
    share, n = (None, 0)
    if any(getattr(chosen, k) != getattr(current, k) for k in KNOBS):
        share, n = bootstrap_share(timelines, current, chosen, w, seed_key)
    return Decision(current, chosen, optimum, costs, share, n, len(timelines))
