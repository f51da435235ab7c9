"""One simulated host: its incident plan, and how it answers each call."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from advisor.simulate.clock import VirtualClock
from advisor.simulate.scenarios import HostProcess


class SimulatedHTTPError(Exception):
    """An HTTP error response (``status``, and ``retry_after_s`` for a 429)."""

    def __init__(self, status: int, retry_after_s: float | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after_s = retry_after_s


class SimulatedTimeout(Exception):
    """The host did not answer in time."""


class SimulatedConnectionError(Exception):
    """The connection was refused or reset."""


UP, DOWN, RECOVERING, THROTTLED, BURST = "up", "down", "recovering", "throttled", "burst"
_MIN_GAP_S = 600.0  # quiet time after an incident before the next may start


@dataclass
class Phase:
    """A stretch of a host's timeline; ``calls`` is the streak length of a burst."""

    kind: str
    start: float
    end: float
    calls: int = 0


def plan_incidents(
    process: HostProcess,
    rng: random.Random,
    start: float,
    end: float,
    reset_timeout_s: float = 60.0,
) -> list[Phase]:
    """Non-overlapping incident phases of one host in ``[start, end]``, in time order.

    Incidents are kept apart by at least ``max(600 s, 2 * reset_timeout_s)`` so that each
    one meets a closed breaker, and none starts so late that the host would get fewer
    than about 20 calls before ``end``.
    """
    gap = max(_MIN_GAP_S, 2.0 * reset_timeout_s)
    last_start = end - max(120.0, 20.0 / process.rate)
    episodes: list[list[Phase]] = []
    for incident in process.incidents:
        t = start + rng.uniform(0.05, 0.3) * min(end - start, incident.every_s)
        while t < last_start:
            if incident.kind == "burst":
                calls = rng.randint(*incident.calls)
                episode = [Phase(BURST, t, t + calls / process.rate, calls)]
            else:
                length = rng.uniform(*incident.duration_s)
                kind = DOWN if incident.kind == "outage" else THROTTLED
                episode = [Phase(kind, t, min(t + length, end))]
                recovery = rng.uniform(*incident.recovery_s)
                if kind == DOWN and recovery > 0 and t + length < end:
                    episode.append(Phase(RECOVERING, t + length, min(t + length + recovery, end)))
            episodes.append(episode)
            t = episode[-1].end + gap + rng.expovariate(1.0 / incident.every_s)
    episodes.sort(key=lambda e: e[0].start)
    phases: list[Phase] = []
    free_from = -math.inf
    for episode in episodes:
        if episode[0].start >= free_from:
            phases.extend(episode)
            free_from = episode[-1].end + gap
    return phases


class SimHost:
    """The remote end of one host: answers each call according to its plan."""

    def __init__(
        self,
        process: HostProcess,
        phases: list[Phase],
        rng: random.Random,
        clock: VirtualClock,
        end: float,
    ) -> None:
        self.process = process
        self.host = process.host
        self.rng = rng
        self.clock = clock
        self.end = end
        self.mean_gap = 1.0 / process.rate
        self.p_fail = process.p_fail
        self.latency_s = process.latency_ms / 1000.0
        self.timeout_s = process.timeout_s
        self.phases = phases
        self._next = 0
        self._phase = Phase(UP, -math.inf, phases[0].start if phases else math.inf)

    def _advance(self, t: float) -> None:
        phases = self.phases
        while True:
            if self._next < len(phases) and phases[self._next].start <= t:
                phase = phases[self._next]
                self._next += 1
                if phase.end <= t:
                    continue
                self._phase = phase
                return
            following = phases[self._next].start if self._next < len(phases) else math.inf
            self._phase = Phase(UP, t, following)
            return

    def request(self) -> None:
        """One call: moves the clock to its end (never past ``end``); returns or raises."""
        clock = self.clock
        t = clock.now
        phase = self._phase
        if t >= phase.end:
            self._advance(t)
            phase = self._phase
        rng = self.rng
        kind = phase.kind
        if kind == UP:
            if rng.random() < self.p_fail:
                self._fail(t, rng, 500)
            at = t + self.latency_s * (0.5 + rng.random())
            clock.now = at if at < self.end else self.end
            return
        if kind in (DOWN, BURST):
            self._fail(t, rng, 503)
        if kind == THROTTLED:
            self._done(t + 0.02)
            raise SimulatedHTTPError(429, float(math.ceil(phase.end - t)))
        # RECOVERING: successes come back gradually over the phase
        if rng.random() * (phase.end - phase.start) > t - phase.start:
            self._fail(t, rng, 503)
        self._done(t + self.latency_s * (0.5 + rng.random()))

    def _done(self, at: float) -> None:
        self.clock.now = at if at < self.end else self.end

    def _fail(self, t: float, rng: random.Random, status: int) -> None:
        draw = rng.random()
        if draw < 0.1:
            self._done(t + self.timeout_s)
            raise SimulatedTimeout(f"{self.host}: no answer in {self.timeout_s:g} s")
        if draw < 0.3:
            self._done(t + 0.005)
            raise SimulatedConnectionError(f"{self.host}: connection refused")
        self._done(t + 0.03)
        raise SimulatedHTTPError(status)
