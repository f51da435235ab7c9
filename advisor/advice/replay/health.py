"""A host's health over the window: when it was down, and how much of that is a guess.

Observed calls (success, failure, neutral) show the host's state at their instant. Where
the breaker hid the host (calls refused while it was open or under a cooldown), the state
is inferred from the neighbouring observations: between two observations that agree, the
host kept that state. A down stretch starts half-way between its last success and first
failure, and ends inside the gap between its last failure and the next success:

* where the server said (Retry-After), if that falls inside the gap;
* else at the geometric mean of the outage's age at the two ends of the gap (the median of
  a scale-free prior on outage length: as likely to last 1-2 minutes as 10-20). A breaker
  that opened on a 1 s blip and hid the host for 600 s puts the recovery ~25 s in, not
  300 s; an outage 30 minutes old hidden for 15 s recovers near the middle of those 15 s;
* but a stretch that is one plain failure streak (no refused call inside it) goes on no
  longer than this host's streaks do where they are visible: with ``q`` the share of
  visible streaks one short of the opening length that the next call extended (at least
  20 seen), the streak continues by the 90th percentile of a geometric(``q``) number of
  calls. A breaker that opens on a 15 % background failure rate thus loses no health.

All times are integer microseconds since the window start; health may begin before it
(a warm-up, negative times), while the inferred share covers the window only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

US = 1_000_000
_MIN_ELAPSED_US = 1_000  # an outage seen by one failure has lasted at least this long
_MIN_STREAKS = 20  # visible streaks needed before their continuation caps a hidden one

_MIN_BACKGROUND_CALLS = 50  # observed calls needed to tell background noise from trouble

Position = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Health:
    """Down intervals ``[starts[i], ends[i])`` (sorted, disjoint) over ``[begin, length]``.

    ``ra_until`` is, per interval, when the server's latest Retry-After said it would be
    back (0 when it said nothing); ``inferred_us`` is how much of the window ``[0,
    length]`` lies in gaps between observations that hide refused calls.
    """

    starts: np.ndarray
    ends: np.ndarray
    ra_until: np.ndarray
    length: int
    inferred_us: int = 0
    begin: int = 0

    @property
    def inferred_share(self) -> float:
        """Share of the window whose health is inferred rather than observed."""
        return self.inferred_us / self.length if self.length > 0 else 0.0

    @property
    def down_us(self) -> int:
        """Total time down."""
        return int((self.ends - self.starts).sum())

    def _interval(self, times: np.ndarray) -> np.ndarray:
        """Index of the down interval holding each time, -1 where the host was up."""
        index = np.searchsorted(self.starts, times, side="right") - 1
        inside = index >= 0
        inside[inside] = times[inside] < self.ends[index[inside]]
        return np.where(inside, index, -1)

    def down_at(self, times: np.ndarray) -> np.ndarray:
        """Whether the host was down at each time."""
        return self._interval(times) >= 0

    def retry_after_left(self, times: np.ndarray) -> np.ndarray:
        """Microseconds the server's Retry-After still asked for at each time (0: none)."""
        if self.starts.size == 0:
            return np.zeros(len(times), np.int64)
        index = self._interval(times)
        until = np.where(index >= 0, self.ra_until[np.maximum(index, 0)], 0)
        return np.where(until > times, until - times, 0)


def _empty(length: int, inferred_us: int = 0, begin: int = 0) -> Health:
    none = np.zeros(0, dtype=np.int64)
    return Health(none, none, none, length, inferred_us, begin)


def from_intervals(
    intervals: Sequence[tuple[int, int]],
    length: int,
    ra_until: Sequence[int] | None = None,
    begin: int = 0,
) -> Health:
    """Health from known down intervals (e.g. a simulation's truth); overlaps are merged.

    Args:
        intervals: ``(start, end)`` microseconds since the window start.
        length: window length in microseconds.
        ra_until: per interval, when a Retry-After would have said it ends (0: none).
        begin: where the health starts (<= 0: before the window, for a warm-up).
    """
    if not intervals:
        return _empty(length, 0, begin)
    bounds = np.array(intervals, dtype=np.int64).reshape(-1, 2)
    ra = np.zeros(len(bounds), np.int64) if ra_until is None else np.asarray(ra_until, np.int64)
    order = np.argsort(bounds[:, 0], kind="stable")
    bounds, ra = np.clip(bounds[order], begin, length), ra[order]
    starts: list[int] = []
    ends: list[int] = []
    until: list[int] = []
    for (a, b), r in zip(bounds.tolist(), ra.tolist(), strict=True):
        if b <= a:
            continue
        if starts and a <= ends[-1]:
            ends[-1] = max(ends[-1], b)
            until[-1] = max(until[-1], r)
        else:
            starts.append(a)
            ends.append(b)
            until.append(r)
    return Health(
        np.array(starts, np.int64),
        np.array(ends, np.int64),
        np.array(until, np.int64),
        length,
        0,
        begin,
    )


def _continuation(d: np.ndarray, hidden_after: np.ndarray) -> float:
    """How often this host's failure streaks go on, at the length that opens its breaker.

    The opening length is the median length of the visible failure streaks that start
    right after a success and are followed by refused calls; the estimate is the share of
    visible streaks of one less that the next call extended (with half a pseudo-count
    each way). 1.0 when the telemetry shows no such streak.
    """
    n = d.size
    chain_start = d & ~np.concatenate([[False], d[:-1] & ~hidden_after[:-1]])
    starts = np.flatnonzero(chain_start)
    if starts.size == 0:
        return 1.0
    owner = starts[np.maximum(np.searchsorted(starts, np.arange(n), side="right") - 1, 0)]
    length = np.where(d, np.arange(n) - owner + 1, 0)
    after_success = np.concatenate([[False], ~d[:-1] & ~hidden_after[:-1]])
    opened = d & hidden_after & after_success[owner]
    if not opened.any():
        return 1.0
    k = int(np.median(length[opened]))
    before = np.flatnonzero((length == k - 1) & ~hidden_after)
    before = before[before + 1 < n]
    if before.size < _MIN_STREAKS:
        return 1.0
    return (float(d[before + 1].sum()) + 0.5) / (before.size + 1.0)


def reconstruct(
    times: np.ndarray,
    down: np.ndarray,
    retry_after: np.ndarray,
    hidden: np.ndarray,
    length: int,
    begin: int = 0,
    position: Position | None = None,
) -> Health:
    """Infer health from observed outcomes and where calls were refused.

    Args:
        times: observed calls' times (sorted, microseconds since the window start).
        down: per observed call, True when it failed.
        retry_after: per observed call, the server's Retry-After in microseconds (0: none).
        hidden: times of refused calls (sorted).
        length: window length in microseconds.
        begin: where the calls start (<= 0: a warm-up before the window).
        position: where, between the outage's age at the last failure and at the next
            observation, it ended (``(age_lo, age_hi) -> age``, microseconds); the
            geometric mean (scale-free median) when None. The decision model passes
            draws from a fitted duration distribution here.

    Returns:
        Down intervals as the module docstring describes; the window's edges take the
        state of the nearest observation. With no observation at all, a window of
        refused calls counts as down (the breaker had seen failures).
    """
    times = np.asarray(times, np.int64)
    hidden = np.asarray(hidden, np.int64)
    gaps = np.unique(np.searchsorted(times, hidden, side="right"))
    bounds = np.clip(np.concatenate([[begin], times, [length]]), 0, length)
    inferred = int((bounds[gaps + 1] - bounds[gaps]).sum())
    if times.size == 0:
        whole = from_intervals([(begin, length)] if hidden.size else [], length, None, begin)
        return Health(whole.starts, whole.ends, whole.ra_until, length, inferred, begin)
    raw = np.asarray(down, bool)
    hidden_after = _hidden_after(times, hidden, length)
    d = down_stretches(raw, hidden_after, retry_after)
    if not d.any():
        return _empty(length, inferred, begin)
    first, last, starts, ra_until, following, age_lo, age_hi = _down_runs(
        times, d, retry_after, length, begin
    )
    has_next = last + 1 < times.size
    # scale-free: the geometric mean of the outage's age at both ends of the gap
    age = np.sqrt(age_lo * age_hi) if position is None else position(age_lo, age_hi)
    ends = np.clip(starts + np.asarray(age).astype(np.int64), times[last], following)
    # ...but a plain streak goes on no longer than this host's visible streaks do
    q = _continuation(raw, hidden_after)
    if q < 1:
        more = math.floor(math.log(0.1) / math.log(q)) if q > 0 else 0
        at = np.searchsorted(hidden, times[last], side="right") + more
        inside = np.concatenate([[0], np.cumsum(hidden_after)])
        cut = (at < np.searchsorted(hidden, following)) & (inside[last] == inside[first])
        if cut.any():
            previous = hidden[at[cut] - 1] if more > 0 else times[last][cut]
            upper = hidden[at[cut]]
            ends[cut] = np.minimum(ends[cut], previous + (upper - previous + 1) // 2)
    # ...and the server's own Retry-After wins when the next success allows it
    ends = np.where(ra_until > times[last], np.minimum(ra_until, following), ends)
    ends = np.where(has_next, ends, length)
    # every observed failure lies inside its stretch: [start, end) ends after it
    ends = np.maximum(ends, times[last] + 1)
    return Health(starts, np.maximum(ends, starts), ra_until, length, inferred, begin)


def recovering_as_down(d: np.ndarray) -> np.ndarray:
    """Observed outcomes with a success amid mostly failing calls counted as down: a
    host recovering slowly answers now and then while most calls still fail (at least
    4 of the 6 nearest observations failed), and it is not up until they mostly
    succeed. Independent background failures almost never reach that share."""
    if d.size < 3:
        return d
    f = np.concatenate([np.zeros(3, np.int16), d.astype(np.int16), np.zeros(3, np.int16)])
    c = np.cumsum(np.concatenate([[0], f]))
    n = d.size
    around = (c[3 + np.arange(n) + 4] - c[np.arange(n)]) - d.astype(np.int16)
    down: np.ndarray = d | (around >= 4)
    return down


def background(d: np.ndarray, hidden_after: np.ndarray, retry_after: np.ndarray) -> np.ndarray:
    """Failures that are the host's independent background noise, not a down stretch:
    runs of consecutive failures that a success closed in plain sight (no refused call
    after them, no Retry-After) and that are no longer than background failures at the
    host's own rate produce by chance: with ``p`` the failure rate outside runs of 10 or
    more and ``n`` observed calls, a run of ``L`` is noise while ``n * p**L >= 0.1``.
    A host that fails 0.3 % of 60 k calls then counts runs of 1-2 as noise, one that
    fails 25 % of them runs of up to 9 -- while a breaker opening on them still refuses
    healthy calls (lost), and sending them wastes nothing."""
    n = d.size
    if n < _MIN_BACKGROUND_CALLS or not d.any():
        return np.zeros(n, bool)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], d.astype(np.int8), [0]])))
    run_start, run_end = edges[::2], edges[1::2]  # [start, end) of each failure run
    lengths = run_end - run_start
    short = lengths < 10
    p = float(lengths[short].sum()) / max(n - float(lengths[~short].sum()), 1.0)
    if p <= 0 or p >= 1:
        return np.zeros(n, bool)
    longest = math.log(0.1 / n) / math.log(p)
    last = run_end - 1
    plain = (run_end < n) & ~hidden_after[last] & (lengths <= longest)
    has_ra = np.add.reduceat((np.asarray(retry_after) > 0).astype(np.int64), run_start) > 0
    noise = np.zeros(n + 1, np.int64)
    keep = plain & ~has_ra
    np.add.at(noise, run_start[keep], 1)
    np.add.at(noise, run_end[keep], -1)
    return np.cumsum(noise)[:n] > 0


def down_stretches(d: np.ndarray, hidden_after: np.ndarray, retry_after: np.ndarray) -> np.ndarray:
    """Which observed calls belong to down stretches: failures that are not background
    noise (``background``), and successes amid a slow recovery (``recovering_as_down``)."""
    return recovering_as_down(d & ~background(d, hidden_after, retry_after))


def _down_runs(
    times: np.ndarray, d: np.ndarray, retry_after: np.ndarray, length: int, begin: int
) -> tuple[np.ndarray, ...]:
    """Per run of consecutive failures among observed calls: index of its first and
    last failure, when it started (half-way from the previous success), the latest
    Retry-After deadline it was given, when the next observation came (the window end
    when there is none), and its age at its last failure and at that observation."""
    first = np.flatnonzero(d & ~np.concatenate([[False], d[:-1]]))  # first failure of a run
    last = np.flatnonzero(d & ~np.concatenate([d[1:], [False]]))  # last failure of a run
    starts = np.where(first > 0, (times[np.maximum(first - 1, 0)] + times[first]) // 2, begin)
    promised = np.where(d & (retry_after > 0), times + retry_after, 0)
    ra_until = np.maximum.reduceat(promised, first)
    following = np.where(last + 1 < times.size, times[np.minimum(last + 1, times.size - 1)], length)
    age_lo = np.maximum(times[last] - starts, _MIN_ELAPSED_US).astype(float)
    age_hi = np.maximum(following - starts, age_lo)
    return first, last, starts, ra_until, following, age_lo, age_hi


def outage_ages(
    times: np.ndarray,
    down: np.ndarray,
    retry_after: np.ndarray,
    hidden: np.ndarray,
    length: int,
    begin: int = 0,
) -> tuple[np.ndarray, ...]:
    """Interval-censored durations of the down stretches the observed calls show
    (background noise and slow recoveries as in ``reconstruct``).

    Returns per stretch: when it started (microseconds since the window start), its age
    at its last failure and at the next observation, whether it was still going at the
    window end (right-censored: the upper bound is unknown) and whether the server gave
    a Retry-After in it (throttling, a mechanism of its own).
    """
    times = np.asarray(times, np.int64)
    hidden_after = _hidden_after(times, np.asarray(hidden, np.int64), length)
    d = down_stretches(np.asarray(down, bool), hidden_after, np.asarray(retry_after))
    if not d.any():
        none = np.zeros(0)
        return none, none, none, none.astype(bool), none.astype(bool)
    _, last, starts, ra_until, _, age_lo, age_hi = _down_runs(times, d, retry_after, length, begin)
    return starts, age_lo, age_hi, last + 1 >= times.size, ra_until > 0


def _hidden_after(times: np.ndarray, hidden: np.ndarray, length: int) -> np.ndarray:
    """Per observation, whether refused calls follow it before the next observation."""
    following = np.concatenate([times[1:], [length + 1]])
    return np.searchsorted(hidden, following) > np.searchsorted(hidden, times, side="right")
