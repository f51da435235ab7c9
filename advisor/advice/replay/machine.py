"""pybreaker's state machine replayed over a timeline, for any setting.

Semantics (pybreaker 1.x, as the runtime drives it, one call at a time per breaker):

* closed: a failure increments the counter, a success resets it; the failure that brings
  it to ``fail_max`` opens the breaker (``opened_at`` = its time);
* open: a call arriving before ``opened_at + reset_timeout`` is refused; the first one at
  or after it moves the breaker to half-open (lazily) and goes through as a trial;
* half-open: every call goes through; ``success_threshold`` successes close it (the
  counter restarts at 0), any failure re-opens it;
* the runtime's cooldown: a failure carrying a Retry-After refuses the host's calls for
  ``min(Retry-After, retry_after_cap_s)`` seconds, before the breaker sees them;
* a neutral call (not reported to the breaker) changes nothing;
* the rolling-window policy (``step_breaker`` only): a burst of failures sets a cooldown.

Instead of stepping through every call, the replay jumps from one state change to the
next through lookup tables of the run (``advisor.advice.replay.timeline.Jumps``: next
success, failure, Retry-After at each index), so its cost grows with the number of opens
and cooldowns, not of calls. ``run_breakers`` replays the same arrivals under several
imputed healths at once: the first in full, the others only where they differ.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from advisor.advice.replay.timeline import FAIL, OK, Run

Transition = tuple[int, str, str]  # (arrival index in its run, old state, new state)
Trail = tuple[list[int], list[tuple[int, int, int, int]]]  # steps of a replay (``_walk``)


@dataclass(frozen=True)
class Setting:
    """The knobs a replay varies. ``retry_after_cap_s`` 0 means no cooldowns."""

    fail_max: int
    reset_timeout_s: float
    success_threshold: int = 1
    retry_after_cap_s: float = 0.0

    @classmethod
    def from_current(cls, current: dict[str, Any]) -> Setting:
        """The setting of a host's ``current`` knobs (contract keys; missing ones default)."""
        return cls(
            fail_max=int(current.get("fail_max") or 5),
            reset_timeout_s=float(current.get("reset_timeout_s") or 60),
            success_threshold=int(current.get("success_threshold") or 1),
            retry_after_cap_s=float(current.get("retry_after_cap_s") or 0),
        )

    def with_value(self, parameter: str, value: float) -> Setting:
        """A copy with one knob changed."""
        kind = float if parameter in ("reset_timeout_s", "retry_after_cap_s") else int
        changes: dict[str, Any] = {parameter: kind(value)}  # a knob named at run time
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        timeout = self.reset_timeout_s
        return {
            "fail_max": self.fail_max,
            "reset_timeout_s": int(timeout) if float(timeout).is_integer() else timeout,
            "success_threshold": self.success_threshold,
        }


@dataclass(frozen=True)
class RunCounts:
    """What one breaker did over one run: opens and refused calls by outcome."""

    opens: int
    refused_ok: int  # refused calls that would have succeeded (lost)
    refused_fail: int  # refused calls that would have failed (spared)


def run_breaker(
    run: Run,
    fail_max: int,
    reset_timeout_us: int,
    success_threshold: int = 1,
    cooldown_cap_us: int = 0,
    log: list[Transition] | None = None,
) -> RunCounts:
    """Replay one breaker over one run's arrivals; arrivals before ``run.first`` (the
    warm-up) move the breaker but are not counted.

    Args:
        run: the arrivals and their outcomes.
        fail_max: consecutive failures that open the breaker (>= 1).
        reset_timeout_us: how long it stays open before a trial, in microseconds.
        success_threshold: half-open successes that close it (>= 1).
        cooldown_cap_us: cap on a Retry-After cooldown in microseconds (0: no cooldowns).
        log: when given, every transition is appended as ``(index, old, new)``.
    """
    knobs = (fail_max, reset_timeout_us, success_threshold, cooldown_cap_us)
    opens, refused_ok, refused, _ = _walk(run, knobs, 0, 0, log)
    return RunCounts(opens, refused_ok, refused - refused_ok)


def run_breakers(
    runs: Sequence[Run],
    differ: Sequence[Sequence[int]],
    fail_max: int,
    reset_timeout_us: int,
    success_threshold: int = 1,
    cooldown_cap_us: int = 0,
) -> list[RunCounts]:
    """``run_breaker`` over each of ``runs``: the same arrivals under other healths
    (imputations), ``runs[i]`` differing from ``runs[0]`` only at the arrivals
    ``differ[i]`` (sorted indices: outcome, Retry-After or whether the host was up).

    ``runs[0]`` is replayed in full, noting the state (position, failure counter) at
    every step; each other run is replayed only from the last such state before a
    difference until it is back in one of them, the rest taken from ``runs[0]``'s
    counts. The same counts as ``run_breaker`` on each run, a fraction of the work.
    """
    knobs = (fail_max, reset_timeout_us, success_threshold, cooldown_cap_us)
    starts: list[int] = []
    trail: list[tuple[int, int, int, int]] = []
    total = _walk(runs[0], knobs, 0, 0, None, (starts, trail))[:3]
    result = []
    for run, where in zip(runs, differ, strict=True):
        opens, ok, refused = total
        d = 0
        while d < len(where) and trail:
            i = bisect_right(starts, where[d]) - 1  # the last step before the difference
            k, opens_i, ok_i, refused_i = trail[i]
            more_opens, more_ok, more_refused, m = _walk(
                run, knobs, starts[i], k, None, None, (starts, trail)
            )
            until = total if m < 0 else trail[m][1:]
            opens += more_opens - (until[0] - opens_i)
            ok += more_ok - (until[1] - ok_i)
            refused += more_refused - (until[2] - refused_i)
            if m < 0:
                break
            d = bisect_left(where, starts[m], d)
        result.append(RunCounts(opens, ok, refused - ok))
    return result


def _walk(
    run: Run,
    knobs: tuple[int, int, int, int],
    p: int,
    k: int,
    log: list[Transition] | None = None,
    record: Trail | None = None,
    back: Trail | None = None,
) -> tuple[int, int, int, int]:
    """The state machine from arrival ``p``, closed with ``k`` failures counted:
    ``(opens, refused_ok, refused, step)`` from there to the end of the run (``step``
    -1), or up to the first later step of ``back`` it is in. ``record`` collects every
    step: ``p`` (the position the rest of the run depends on, increasing) and ``(k,
    opens, refused_ok, refused)`` there (counts so far)."""
    fail_max, reset_timeout_us, success_threshold, cooldown_cap_us = knobs
    t, fidx, sidx, ra, cum_ok, streak = run.t, run.fidx, run.sidx, run.ra, run.cum_ok, run.streak
    jumps = run.jumps()
    nsucc, srank, frank, nfail, nra = jumps.nsucc, jumps.srank, jumps.frank, jumps.nfail, jumps.nra
    reach_after = jumps.reach_after(run, fail_max)
    n, nf, ns, first = run.n, len(fidx), len(sidx), run.first
    cooling = cooldown_cap_us > 0 and bool(run.raidx)
    cool = jumps.cooldown_end(cooldown_cap_us) if cooling else None
    opens = refused_ok = refused = 0
    moved = False
    while p < n:
        if record is not None:
            record[0].append(p)
            record[1].append((k, opens, refused_ok, refused))
        elif moved and back is not None:
            step = bisect_left(back[0], p)
            if step < len(back[0]) and back[0][step] == p and back[1][step][0] == k:
                return opens, refused_ok, refused, step
        moved = True
        # closed from p with k failures counted: where does it open?
        s = nsucc[p]  # next success: resets the counter
        fp = frank[p]
        j = fp + fail_max - k - 1
        o = fidx[j] if j < nf and fidx[j] < s else reach_after[s + 1]
        r = nra[p] if cool is not None else n
        if cool is not None and r < o:  # a Retry-After cooldown before it would open
            fr = frank[r]
            k = k + fr - fp + 1 if s > r else streak[fr]
            q = cool[r]
            lo = r + 1 if r + 1 > first else first
            if q > lo:
                refused_ok += cum_ok[q] - cum_ok[lo]
                refused += q - lo
            p = q
            continue
        if o >= n:
            break
        if log is not None:
            log.append((o, "closed", "open"))
        opens += o >= first
        failed = o
        while True:  # open, then half-open trials, until it closes or the run ends
            opened = t[failed]
            until = opened + reset_timeout_us
            if cooling and ra[failed] > 0:
                until = max(until, opened + min(ra[failed], cooldown_cap_us))
            p = failed + 1
            q = bisect_left(t, until, p)
            lo = p if p > first else first
            if q > lo:
                refused_ok += cum_ok[q] - cum_ok[lo]
                refused += q - lo
            if q >= n:
                p = n
                break
            if log is not None:
                log.append((q, "open", "half_open"))
            jf = nfail[q]
            at = srank[q] + success_threshold - 1
            js = sidx[at] if at < ns else n
            if js < jf:
                if log is not None:
                    log.append((js, "half_open", "closed"))
                p, k = js + 1, 0
                break
            if jf >= n:
                p = n
                break
            if log is not None:
                log.append((jf, "half_open", "open"))
            opens += jf >= first
            failed = jf
    return opens, refused_ok, refused, -1


@dataclass(frozen=True)
class Rolling:
    """The runtime's rolling-window policy (``advanced.rolling``) in replay units:
    ``threshold`` failures within ``window_us`` set a cooldown of ``cooldown_us``."""

    window_us: int
    threshold: int
    cooldown_us: int


@dataclass(frozen=True)
class SteppedCounts:
    """``RunCounts`` of a replay with the rolling-window policy, and what the policy did:
    the cooldowns it set, those of them set by a failure that did not also open the
    breaker (``extra``), and the calls refused while one of its cooldowns held."""

    opens: int
    refused_ok: int
    refused_fail: int
    cooldowns: int = 0
    extra: int = 0
    rolling_refused: int = 0


def step_breaker(
    run: Run,
    fail_max: int,
    reset_timeout_us: int,
    success_threshold: int = 1,
    cooldown_cap_us: int = 0,
    rolling: Rolling | None = None,
    log: list[Transition] | None = None,
) -> SteppedCounts:
    """``run_breaker``, arrival by arrival, with the rolling-window policy beside it:
    every failure that reached the host (half-open trials included) enters the window;
    the ``threshold``-th within ``window_us`` (times ``t > now - window_us``) refuses the
    host's calls until ``now + cooldown_us``, as a Retry-After cooldown does, and the
    window starts empty again. Without ``rolling``, the same counts as ``run_breaker``.
    """
    t, codes, ra, up, first = run.t, run.codes().tolist(), run.ra, run.up.tolist(), run.first
    closed, open_, half = "closed", "open", "half_open"
    state, k, opened, trials = closed, 0, 0, 0
    cool_until, cool_rolling = -(2**62), False
    window: deque[int] = deque()
    opens = refused_ok = refused = cooldowns = extra = rolling_refused = 0
    for i in range(run.n):
        now, counted = t[i], i >= first
        if now < cool_until or (state == open_ and now < opened + reset_timeout_us):
            if counted:
                refused += 1
                refused_ok += up[i]
                rolling_refused += now < cool_until and cool_rolling
            continue
        if state == open_:
            state, trials = half, 0
            if log is not None:
                log.append((i, open_, half))
        code = codes[i]
        if code == OK:
            k = 0
            if state == half:
                trials += 1
                if trials >= success_threshold:
                    state = closed
                    if log is not None:
                        log.append((i, half, closed))
            continue
        if code != FAIL:
            continue
        k += 1
        tripped = state == half or k >= fail_max
        if tripped:
            if log is not None:
                log.append((i, state, open_))
            state, opened, k = open_, now, 0
            opens += counted
        if cooldown_cap_us > 0 and ra[i] > 0 and now + min(ra[i], cooldown_cap_us) > cool_until:
            cool_until, cool_rolling = now + min(ra[i], cooldown_cap_us), False
        if rolling is None:
            continue
        window.append(now)
        while window[0] <= now - rolling.window_us:
            window.popleft()
        if len(window) >= rolling.threshold:
            window.clear()
            cooldowns += counted
            extra += counted and not tripped
            if now + rolling.cooldown_us > cool_until:
                cool_until, cool_rolling = now + rolling.cooldown_us, True
    return SteppedCounts(opens, refused_ok, refused - refused_ok, cooldowns, extra, rolling_refused)
