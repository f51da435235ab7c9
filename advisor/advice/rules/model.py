"""The fitted model of one breaker's host (docs/design.md, "How the advisor decides"):
how long its down stretches last, as interval-censored survival data, and health
timelines imputed from that fit for the stretches the breaker hid.

Every run of consecutive failures among the calls that reached the host is one down
stretch; it ended after its last failure and before the next observed call (a success,
or a probe). Where the breaker refused calls in between, that interval can be wide (a
600 s timeout and a successful first probe say only "under 600 s"): the fit over *all*
stretches, short noise streaks included, says where inside it the end most likely lay.
A lognormal is fitted by maximum likelihood over the intervals (scipy, interval and
right censoring); because one distribution cannot be trusted to extrapolate from short
streaks to long outages, half of the imputations use the scale-free (log-uniform)
prior instead. Throttled stretches (a Retry-After) are a mechanism of their own and are
left out of the fit; their end is where the server said.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from advisor.advice.replay.health import Position, outage_ages, reconstruct
from advisor.advice.replay.timeline import FAIL, REFUSED, Timeline

IMPUTATIONS = 6  # plausible healths per host: the expected cost is their mean
MIN_FIT = 5  # tightly bounded stretches needed before the lognormal fit is used at all


@dataclass(frozen=True)
class DurationFit:
    """Lognormal fit of down-stretch durations (seconds): ``log D ~ N(mu, sigma)``;
    ``n`` stretches, of which ``wide`` had an interval wider than a factor of 3."""

    mu: float
    sigma: float
    n: int
    wide: int

    @property
    def median_s(self) -> float:
        return math.exp(self.mu)


def fit_durations(timeline: Timeline, exclude: Spans | None = None) -> DurationFit | None:
    """Fit the host's down-stretch durations; None when fewer than ``MIN_FIT`` are
    tightly bounded (within a factor of 4: wide intervals alone say nothing about where
    inside them the ends lay) or the fit does not converge; stretches that began in an
    ``exclude`` span (fleet incidents) are left out."""
    lo, hi, censored = _intervals(timeline, exclude)
    if lo.size < MIN_FIT:
        return None
    from scipy import stats  # lazily: `--help` and healthy fleets never pay for it

    tight = int(np.sum(~censored & (hi <= 4 * lo)))
    if tight < MIN_FIT:  # wide intervals alone leave the MLE anywhere inside them
        return None
    hi = np.where(censored, np.inf, hi)
    data = stats.CensoredData.interval_censored(lo, hi)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")  # log(0) on the way to the optimum is expected
            sigma, _, scale = stats.lognorm.fit(data, floc=0)
    except (ValueError, RuntimeError, FloatingPointError):
        return None
    if not (np.isfinite(sigma) and np.isfinite(scale) and sigma > 0 and scale > 0):
        return None
    wide = int(np.sum(hi > 3 * lo))
    return DurationFit(float(math.log(scale)), float(max(sigma, 0.05)), int(lo.size), wide)


def typical_outages(
    timeline: Timeline, fit: DurationFit | None, exclude: Spans | None = None
) -> tuple[float, ...]:
    """Outage lengths worth a candidate timeout just past them (seconds): the
    quantiles 0.5/0.75/0.9 of the upper bounds of stretches long enough to have opened
    the breaker, and the fit's 0.9 quantile. Empty without such stretches."""
    lo, hi, censored = _intervals(timeline, exclude)
    long = (hi > 1.0) & ~censored & (hi < 3 * lo)  # tightly bounded, not mere noise
    found = [float(np.quantile(hi[long], q)) for q in (0.5, 0.75, 0.9)] if long.any() else []
    if fit is not None:
        found.append(math.exp(fit.mu + 1.2816 * fit.sigma))
    return tuple(sorted(set(round(v, 3) for v in found)))


Spans = list[tuple[datetime, datetime]]


def _intervals(
    timeline: Timeline, exclude: Spans | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seconds: (lower, upper, right-censored) of each unthrottled down stretch, those
    that began in an ``exclude`` span (a fleet incident) left out."""
    seen = timeline.codes != REFUSED
    starts, lo, hi, censored, throttled = outage_ages(
        timeline.times[seen],
        timeline.codes[seen] == FAIL,
        timeline.retry_after[seen],
        timeline.times[~seen],
        timeline.length_us,
        timeline.begin_us,
    )
    keep = ~throttled
    for a, b in exclude or []:
        a_us = round(a.timestamp() * 1e6) - timeline.start_us
        b_us = round(b.timestamp() * 1e6) - timeline.start_us
        keep &= ~((starts >= a_us - 60e6) & (starts <= b_us))  # a minute of lead-in
    return lo[keep] / 1e6, hi[keep] / 1e6, censored[keep]


def _lognormal_position(fit: DurationFit, u: np.ndarray) -> Position:
    """``(age_lo, age_hi) -> age``: per stretch, the quantile ``u`` of the fit
    conditioned on the stretch's interval (microseconds)."""
    from scipy import stats

    dist = stats.lognorm(fit.sigma, scale=math.exp(fit.mu) * 1e6)

    def position(age_lo: np.ndarray, age_hi: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            a, b = dist.cdf(age_lo), dist.cdf(age_hi)
            q = u[: age_lo.size]
            inside = b - a > 1e-12
            p = np.where(inside, a + q * (b - a), 0.5)
            age = np.where(inside, dist.ppf(np.clip(p, 1e-12, 1 - 1e-12)), age_lo)
        clipped: np.ndarray = np.clip(np.nan_to_num(age, nan=0.0), age_lo, age_hi)
        return clipped

    return position


def _log_uniform_position(u: np.ndarray) -> Position:
    def position(age_lo: np.ndarray, age_hi: np.ndarray) -> np.ndarray:
        q = u[: age_lo.size]
        age: np.ndarray = np.exp(np.log(age_lo) + q * (np.log(age_hi) - np.log(age_lo)))
        return age

    return position


def imputations(timeline: Timeline, fit: DurationFit | None, seed: int = 0) -> list[Timeline]:
    """The host's recorded arrivals under several plausible healths: each hidden
    stretch ends at its own random quantile (stratified over the imputations, seeded)
    of the fitted -- or the scale-free -- distribution inside the interval the
    telemetry allows."""
    seen = timeline.codes != REFUSED
    times = timeline.times
    stretches = int(np.count_nonzero(timeline.codes[seen] == FAIL)) + 1
    rng = np.random.default_rng(seed)
    # stratified: draw k of IMPUTATIONS falls in the k-th slice of [0, 1) for every stretch
    u = (np.arange(IMPUTATIONS)[:, None] + rng.random((IMPUTATIONS, stretches))) / IMPUTATIONS
    for column in u.T:
        rng.shuffle(column)
    positions = [_log_uniform_position(row) for row in u]
    if fit is not None:  # half from the fit, half scale-free: the fit may not extrapolate
        half = IMPUTATIONS // 2
        positions = positions[:half] + [_lognormal_position(fit, row) for row in u[half:]]
    result = []
    for position in positions:
        health = reconstruct(
            times[seen],
            timeline.codes[seen] == FAIL,
            timeline.retry_after[seen],
            times[~seen],
            timeline.length_us,
            timeline.begin_us,
            position=position,
        )
        result.append(timeline.with_health(health))
    return result
