"""One simulated host: its incident plan, and how it answers each call."""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from advisor.simulate.clock import VirtualClock
from advisor.simulate.scenarios import FleetIncidents, HostProcess


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
UNREACHABLE = "unreachable"  # a caller-side incident: timeouts and refused connections
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
        t = start + rng.uniform(*incident.first_at) * min(end - start, incident.every_s)
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


def plan_fleet(
    fleet: FleetIncidents, rng: random.Random, start: float, end: float
) -> list[tuple[float, float]]:
    """The shared incidents of a fleet in ``[start, end]``: disjoint, in time order, to the
    millisecond. One in each of ``count`` equal parts of the run, at most half a part long,
    at least a tenth of a part from its edges."""
    count = rng.randint(*fleet.count)
    if count < 1 or end <= start:
        return []
    part = (end - start) / count
    incidents = []
    for k in range(count):
        length = min(rng.uniform(*fleet.duration_s), 0.5 * part)
        begin = start + k * part + rng.uniform(0.1 * part, 0.9 * part - length)
        incidents.append((round(begin, 3), round(begin + length, 3)))
    return incidents


def overlay(
    phases: list[Phase], intervals: Sequence[tuple[float, float]], kind: str
) -> list[Phase]:
    """``phases`` with a ``kind`` phase over each of ``intervals`` (disjoint); the parts of
    other phases they cover are cut away (a phase may be split in two)."""
    out: list[Phase] = []
    for phase in phases:
        pieces = [(phase.start, phase.end)]
        for a, b in intervals:
            pieces = [
                piece
                for s, e in pieces
                for piece in (((s, e),) if b <= s or a >= e else ((s, a), (b, e)))
                if piece[1] > piece[0]
            ]
        out.extend(Phase(phase.kind, s, e, phase.calls) for s, e in pieces)
    out.extend(Phase(kind, a, b) for a, b in intervals if b > a)
    out.sort(key=lambda p: p.start)
    return out


class Schedule:
    """When a host gets traffic: disjoint stretches ``[start, end)`` in time order.

    Arrivals are a Poisson process over *active* time: ``next_arrival`` advances a time by
    an exponential draw counted in active seconds only, so an idle stretch is skipped.
    """

    def __init__(self, stretches: Sequence[tuple[float, float]]) -> None:
        self.stretches = [(a, b) for a, b in stretches if b > a]
        self._starts = [a for a, _ in self.stretches]
        self._ends = [b for _, b in self.stretches]
        self._before: list[float] = []  # active seconds before each stretch
        total = 0.0
        for a, b in self.stretches:
            self._before.append(total)
            total += b - a
        self._total = total

    def _position(self, t: float) -> float:
        """Active seconds before ``t``."""
        i = bisect.bisect_right(self._starts, t) - 1
        if i < 0:
            return 0.0
        return self._before[i] + min(t, self._ends[i]) - self._starts[i]

    def _at(self, x: float) -> float:
        """The moment after ``x`` active seconds (``inf`` past the last stretch)."""
        if x >= self._total:
            return math.inf
        i = bisect.bisect_right(self._before, x) - 1
        return self._starts[i] + (x - self._before[i])

    def next_arrival(self, t: float, delta: float, done: float = -math.inf) -> float:
        """``delta`` active seconds after ``t``, but not before ``done`` (the previous call
        ended) nor outside a stretch; ``inf`` when no stretch is left."""
        following = self._at(self._position(t) + delta)
        if following < done:
            i = bisect.bisect_right(self._starts, done) - 1
            if i >= 0 and done < self._ends[i]:
                return done
            return self._starts[i + 1] if i + 1 < len(self._starts) else math.inf
        return following


class SimHost:
    """The remote end of one host: answers each call according to its plan."""

    def __init__(
        self,
        process: HostProcess,
        phases: list[Phase],
        rng: random.Random,
        clock: VirtualClock,
        end: float,
        schedule: Schedule | None = None,
    ) -> None:
        self.process = process
        self.schedule = schedule
        """When the host gets traffic (None: all the time)."""
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
        if kind == UNREACHABLE:
            if rng.random() < 0.3:
                self._done(t + self.timeout_s)
                raise SimulatedTimeout(f"{self.host}: no answer in {self.timeout_s:g} s")
            self._done(t + 0.005)
            raise SimulatedConnectionError(f"{self.host}: unreachable")
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
