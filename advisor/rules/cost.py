"""The cost model of DESIGN.md ("What right advice means"): calls *wasted* into a
host that is down, calls *lost* (refused) while it was up, cost = wasted + w * lost.

pybreaker opens after ``fail_max`` consecutive failures, stays open ``reset_timeout_s``
and lets the *next* call through as a trial (lazily), so with requests arriving at
rate λ the breaker probes every ``T + 1/λ`` seconds on average.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SAMPLES = 9  # points per recovery interval for the expectation over it
DRAWS = 16  # simulated request sequences per candidate timeout
SEED = 20261128


def recovery_samples(bounds: Sequence[tuple[float, float]]) -> np.ndarray:
    """Outage lengths (episodes x SAMPLES): each episode's recovery time, spread
    evenly over the interval in which the telemetry says the host came back."""
    lo = np.array([b[0] for b in bounds], dtype=float)[:, None]
    hi = np.array([b[1] for b in bounds], dtype=float)[:, None]
    steps = (np.arange(SAMPLES) + 0.5) / SAMPLES
    return lo + (hi - lo) * steps[None, :]


def recovery_cost(
    outages: np.ndarray,
    censored: np.ndarray,
    timeouts: np.ndarray,
    rate: float,
    draws: int = DRAWS,
) -> tuple[np.ndarray, np.ndarray]:
    """Expected (wasted, lost) calls per candidate timeout, summed over episodes
    (each episode averaged over its samples); see ``recovery_cost_samples``."""
    wasted, lost = recovery_cost_samples(outages, censored, timeouts, rate, draws)
    return wasted.mean(axis=2).sum(axis=1), lost.mean(axis=2).sum(axis=1)


def recovery_cost_samples(
    outages: np.ndarray,
    censored: np.ndarray,
    timeouts: np.ndarray,
    rate: float,
    draws: int = DRAWS,
) -> tuple[np.ndarray, np.ndarray]:
    """Expected (wasted, lost) calls per candidate timeout and outage sample
    (candidates x episodes x samples).

    Probe ``n`` happens at ``n*T + X1 + ... + Xn`` after the open, each ``X`` the wait
    for the next request (exponential, mean 1/λ): the expectation is taken over
    ``draws`` such sequences, the same ones for every candidate (common random
    numbers), so the cliff just below an outage's length is priced in.

    Args:
        outages: recovery times after the open, episodes x samples.
        censored: per episode, True when the host had not recovered by the window end
            (only its failed probes count; nothing was lost yet).
        timeouts: candidate ``reset_timeout_s`` values.
        rate: request arrival rate (calls/s) of the host.
        draws: simulated request sequences per candidate.
    """
    d = outages.ravel()
    lost_mask = ~np.repeat(censored, outages.shape[1])
    wasted = np.empty((len(timeouts), *outages.shape))
    lost = np.empty((len(timeouts), *outages.shape))
    rows = np.arange(draws)[:, None]
    most = int(d.max() // max(float(np.min(timeouts)), 1e-9)) + 2 if d.size else 1
    waited = np.cumsum(np.random.default_rng(SEED).exponential(1.0 / rate, (draws, most)), axis=1)
    for k, timeout in enumerate(timeouts):
        probes = int(d.max() // timeout) + 2 if d.size else 1
        # probe n after the open: n timeouts plus the waits for the first n requests
        times = timeout * np.arange(1, probes + 1) + waited[:, :probes]
        # one searchsorted for all draws: shift each draw's times and queries apart
        shift = (np.arange(draws) * (times[:, -1].max() + 1.0))[:, None]
        flat = np.searchsorted((times + shift).ravel(), (d[None, :] + shift).ravel())
        failed = flat.reshape(draws, -1) - rows * probes
        refused = rate * (times[rows, failed] - d[None, :]) * lost_mask[None, :]
        wasted[k] = failed.mean(axis=0).reshape(outages.shape)
        lost[k] = refused.mean(axis=0).reshape(outages.shape)
    return wasted, lost


def geometric_continue_probability(
    uncensored: Sequence[int], censored: Sequence[int]
) -> float | None:
    """MLE of p in P(streak >= k) = p^(k-1) from streak lengths, where ``censored``
    streaks were cut by the breaker opening (their true length is at least the value)."""
    continues = sum(n - 1 for n in uncensored) + sum(n - 1 for n in censored)
    stops = len(uncensored)
    if stops == 0:
        return None
    return continues / (continues + stops)


def fail_max_cost(
    candidates: np.ndarray,
    *,
    noise_streaks: int,
    continue_p: float,
    real_outages: int,
    lost_per_false_open: float,
    w: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Expected (cost, wasted, lost) per candidate ``fail_max``.

    Each real outage sends ``fail_max`` calls into the dead host before the breaker
    opens; each noise streak reaches length ``fail_max`` with probability
    ``p^(fail_max-1)`` and then refuses ``lost_per_false_open`` healthy calls.
    """
    wasted = real_outages * candidates.astype(float)
    false_opens = noise_streaks * continue_p ** (candidates - 1.0)
    lost = false_opens * lost_per_false_open
    return wasted + w * lost, wasted, lost
