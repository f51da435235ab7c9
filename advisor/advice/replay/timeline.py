"""A host's recorded request arrivals, each with the outcome it would get if sent.

Every call of the window is an arrival, refused ones included. A call that reached the
host keeps its recorded outcome; a refused call gets the one its host's health (observed
or inferred, ``advisor.advice.replay.health``) implies: a failure, with the remaining Retry-After,
while the host was down, a success otherwise. Arrivals are grouped by run and breaker:
each run of the runtime had its own breakers (a role tuned differently has one of its
own), while the host's health is shared. Calls before the
window (a warm-up, negative times) drive the breakers into the state they would be in
when the window opens; only calls inside the window are counted.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

import numpy as np

from advisor.advice.replay.health import US, Health, reconstruct

OK, FAIL, NEUTRAL, REFUSED = 0, 1, 2, 3  # outcome codes (REFUSED only as recorded)


class Run:
    """One breaker's arrivals, in the shape the state machine jumps through.

    Attributes:
        t: arrival times (microseconds since the window start), sorted.
        fidx / sidx: indices of arrivals that fail / succeed (neutral ones are in neither).
        raidx: indices of failures carrying a Retry-After; ``ra`` its microseconds per arrival.
        up: per arrival, whether the host was up (refusing it loses a call; sending it
            wastes none); by default, whether it would not fail.
        cum_ok: ``cum_ok[i]`` arrivals before ``i`` that came while the host was up.
        streak: per failure (aligned with ``fidx``), consecutive failures since the last
            success, itself included (neutral calls do not break a streak).
        first: index of the first arrival that is counted (at or after the window start).
    """

    __slots__ = (
        "t", "fidx", "sidx", "raidx", "ra", "cum_ok", "streak", "n", "first", "up", "_reach",
        "_jumps",
    )  # fmt: skip

    def __init__(
        self, t: np.ndarray, outcome: np.ndarray, ra: np.ndarray, up: np.ndarray | None = None
    ) -> None:
        fails = outcome == FAIL
        self.n = int(t.size)
        self.first = int(np.searchsorted(t, 0))
        self.t: list[int] = t.tolist()
        self.fidx: list[int] = np.flatnonzero(fails).tolist()
        self.sidx: list[int] = np.flatnonzero(outcome == OK).tolist()
        self.raidx: list[int] = np.flatnonzero(fails & (ra > 0)).tolist()
        self.ra: list[int] = np.where(fails, ra, 0).tolist()
        self.up = ~fails if up is None else np.asarray(up, bool)
        self.cum_ok: list[int] = np.concatenate([[0], np.cumsum(self.up)]).tolist()
        cum_fail = np.cumsum(fails)
        since = np.maximum.accumulate(np.where(outcome == OK, cum_fail, 0)) if t.size else cum_fail
        self.streak: list[int] = (cum_fail - since)[fails].tolist()
        self._reach: dict[int, list[int]] = {}
        self._jumps: Jumps | None = None

    @property
    def failures(self) -> int:
        """Counted arrivals that came while the host was down (sending them wastes a
        call); by default those that would fail if sent."""
        return (self.n - self.first) - (self.cum_ok[self.n] - self.cum_ok[self.first])

    def reach(self, fail_max: int) -> list[int]:
        """Indices of failures that make a streak exactly ``fail_max`` long (cached)."""
        found = self._reach.get(fail_max)
        if found is None:
            streak = np.asarray(self.streak)
            found = np.asarray(self.fidx)[streak == fail_max].tolist()
            self._reach[fail_max] = found
        return found

    def codes(self) -> np.ndarray:
        """Per arrival, its outcome code (``OK``, ``FAIL`` or ``NEUTRAL``)."""
        codes = np.full(self.n, NEUTRAL, np.int8)
        codes[self.fidx] = FAIL
        codes[self.sidx] = OK
        return codes

    def differences(self, other: Run) -> list[int]:
        """Indices of the arrivals at which ``other`` (the same arrivals under another
        health) differs: in outcome, Retry-After or whether the host was up."""
        if other.n != self.n or other.t != self.t:
            raise ValueError("runs over different arrivals")
        differ = (
            (self.codes() != other.codes())
            | (np.asarray(self.ra) != np.asarray(other.ra))
            | (self.up != other.up)
        )
        found: list[int] = np.flatnonzero(differ).tolist()
        return found

    def jumps(self) -> Jumps:
        """Lookup tables of where the next success, failure... lies (built once)."""
        if self._jumps is None:
            self._jumps = Jumps(self)
        return self._jumps


def _table(values: np.ndarray) -> array[int]:
    """Compact integers indexed from Python (8 bytes each, no objects)."""
    return array("q", np.ascontiguousarray(values, np.int64).tobytes())


class Jumps:
    """Per arrival index ``p`` (``0..n``) of a run, what the state machine would
    otherwise find by binary search: the next success / failure / Retry-After failure at
    or after ``p`` (``n`` when none) and the rank of ``p`` among the successes and
    failures; per ``fail_max`` and cooldown cap, the tables ``reach_after`` and
    ``cooldown_end`` (built on first use). Shared by every setting replayed over the run.
    """

    __slots__ = ("nsucc", "srank", "nfail", "frank", "nra", "_t", "_ra", "_reach", "_cool")

    def __init__(self, run: Run) -> None:
        n = run.n
        at = np.arange(n + 1)
        sidx = np.asarray(run.sidx, np.int64)
        fidx = np.asarray(run.fidx, np.int64)
        raidx = np.asarray(run.raidx, np.int64)
        self.srank = _table(np.searchsorted(sidx, at))
        self.frank = _table(np.searchsorted(fidx, at))
        self.nsucc = _table(np.append(sidx, n)[np.searchsorted(sidx, at)])
        self.nfail = _table(np.append(fidx, n)[np.searchsorted(fidx, at)])
        self.nra = _table(np.append(raidx, n)[np.searchsorted(raidx, at)])
        self._t = np.asarray(run.t, np.int64)
        self._ra = np.asarray(run.ra, np.int64)
        self._reach: dict[int, array[int]] = {}
        self._cool: dict[int, array[int]] = {}

    def reach_after(self, run: Run, fail_max: int) -> array[int]:
        """``[i]``: the first failure at or after ``i`` that makes a streak exactly
        ``fail_max`` long (``n`` when none); ``n + 2`` entries."""
        found = self._reach.get(fail_max)
        if found is None:
            reach = np.asarray(run.reach(fail_max), np.int64)
            at = np.searchsorted(reach, np.arange(run.n + 2))
            found = self._reach[fail_max] = _table(np.append(reach, run.n)[at])
        return found

    def cooldown_end(self, cap_us: int) -> array[int]:
        """``[r]`` for a failure ``r`` carrying a Retry-After: the first arrival after it
        once its cooldown (capped at ``cap_us``) is over."""
        found = self._cool.get(cap_us)
        if found is None:
            t = self._t
            ends = np.searchsorted(t, t + np.minimum(self._ra, cap_us), side="left")
            found = self._cool[cap_us] = _table(np.maximum(ends, np.arange(1, t.size + 1)))
        return found


@dataclass
class Timeline:
    """One host's arrivals in the window, grouped into runs, and its health.

    ``run_keys``, ``times``, ``codes`` and ``retry_after`` are the recorded calls (codes
    ``OK``/``FAIL``/``NEUTRAL``/``REFUSED``, Retry-After in microseconds, 0 when none),
    from ``begin_us`` (<= 0, a warm-up) to the window's end; ``with_health`` rebuilds
    the outcomes over another health (e.g. a known truth).
    """

    host: str
    start_us: int
    length_us: int
    begin_us: int
    run_keys: np.ndarray
    times: np.ndarray
    codes: np.ndarray
    retry_after: np.ndarray
    health: Health
    runs: list[Run] = field(default_factory=list)
    outcomes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))

    @property
    def _window(self) -> np.ndarray:
        return self.times >= 0

    @property
    def arrivals(self) -> int:
        """Calls that arrived in the window, refused ones included."""
        return int(self._window.sum())

    @property
    def refused(self) -> int:
        """Calls in the window the recorded breaker refused."""
        return int(((self.codes == REFUSED) & self._window).sum())

    @property
    def recorded_wasted(self) -> int:
        """Calls in the window that reached the host and failed, as recorded."""
        return int(((self.codes == FAIL) & self._window).sum())

    @property
    def recorded_lost(self) -> int:
        """Refused calls in the window that would have succeeded, by this health."""
        return int(((self.codes == REFUSED) & (self.outcomes != FAIL) & self._window).sum())

    def with_health(self, health: Health) -> Timeline:
        """The same arrivals with the refused calls' outcomes taken from ``health``."""
        return _assemble(
            self.host, self.start_us, self.length_us, self.begin_us, self.run_keys,
            self.times, self.codes, self.retry_after, health,
        )  # fmt: skip


def build_timeline(
    host: str,
    start_us: int,
    length_us: int,
    run_keys: np.ndarray,
    times: np.ndarray,
    codes: np.ndarray,
    retry_after: np.ndarray,
    health: Health | None = None,
    begin_us: int = 0,
) -> Timeline:
    """A timeline from recorded calls; health is reconstructed from them when not given.

    Args:
        host: the host.
        start_us: window start, epoch microseconds.
        length_us: window length in microseconds.
        run_keys: per call, the run it belongs to.
        times: per call, microseconds since the window start (sorted; negative in the
            warm-up).
        codes: per call, ``OK``/``FAIL``/``NEUTRAL``/``REFUSED``.
        retry_after: per call, Retry-After in microseconds (0: none).
        health: known health; reconstructed from the calls when None.
        begin_us: where the calls start (<= 0: a warm-up of ``-begin_us``).
    """
    times = np.asarray(times, np.int64)
    codes = np.asarray(codes, np.int8)
    retry_after = np.asarray(retry_after, np.int64)
    if health is None:
        seen = codes != REFUSED
        health = reconstruct(
            times[seen], codes[seen] == FAIL, retry_after[seen], times[~seen], length_us, begin_us
        )
    return _assemble(
        host, start_us, length_us, begin_us, np.asarray(run_keys), times, codes, retry_after,
        health,
    )  # fmt: skip


def _assemble(
    host: str,
    start_us: int,
    length_us: int,
    begin_us: int,
    run_keys: np.ndarray,
    times: np.ndarray,
    codes: np.ndarray,
    retry_after: np.ndarray,
    health: Health,
) -> Timeline:
    hidden = codes == REFUSED
    down = health.down_at(times[hidden])
    outcomes = codes.copy()
    outcomes[hidden] = np.where(down, FAIL, OK)
    ra = retry_after.copy()
    ra[hidden] = np.where(down, health.retry_after_left(times[hidden]), 0)
    timeline = Timeline(
        host, start_us, length_us, begin_us, run_keys, times, codes, retry_after, health,
        outcomes=outcomes,
    )  # fmt: skip
    # the cost sides follow the host's health (docs/design.md): a call sent while it was
    # down is wasted, one refused while it was up is lost -- a success amid a slow
    # recovery's failures included
    up = ~health.down_at(times)
    if times.size:
        keys, first = np.unique(run_keys, return_index=True)
        for key in keys[np.argsort(first)]:
            mine = np.flatnonzero(run_keys == key)
            timeline.runs.append(Run(times[mine], outcomes[mine], ra[mine], up[mine]))
    return timeline


def seconds_to_us(seconds: float) -> int:
    """Seconds -> integer microseconds, rounded as ``datetime.timedelta`` rounds."""
    return round(seconds * US)
