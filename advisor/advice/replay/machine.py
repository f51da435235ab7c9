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
* a neutral call (not reported to the breaker) changes nothing.

Instead of stepping through every call, the replay jumps from one state change to the
next with binary searches over precomputed indices (``advisor.advice.replay.timeline.Run``), so
its cost grows with the number of opens and cooldowns, not of calls.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, replace
from typing import Any

from advisor.advice.replay.timeline import Run

Transition = tuple[int, str, str]  # (arrival index in its run, old state, new state)


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
    t, fidx, sidx, raidx, ra, cum_ok, streak = (
        run.t, run.fidx, run.sidx, run.raidx, run.ra, run.cum_ok, run.streak
    )  # fmt: skip
    reach = run.reach(fail_max)
    n, nf, ns, nr, nreach = run.n, len(fidx), len(sidx), len(raidx), len(reach)
    first = run.first
    if cooldown_cap_us <= 0:
        nr = 0
    opens = refused_ok = refused = 0
    p = k = 0  # next arrival to handle; failure counter (closed)
    while p < n:
        # closed from p with k failures counted: where does it open?
        at = bisect_left(sidx, p)
        s = sidx[at] if at < ns else n  # next success: resets the counter
        fp = bisect_left(fidx, p)
        j = fp + fail_max - k - 1
        if j < nf and fidx[j] < s:
            o = fidx[j]
        else:
            at = bisect_right(reach, s)
            o = reach[at] if at < nreach else n
        r = n
        if nr:
            at = bisect_left(raidx, p)
            r = raidx[at] if at < nr else n
        if r < o:  # a Retry-After cooldown before the breaker would open
            fr = bisect_left(fidx, r, fp)
            k = k + fr - fp + 1 if s > r else streak[fr]
            q = bisect_left(t, t[r] + min(ra[r], cooldown_cap_us), r + 1)
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
            if nr and ra[failed] > 0:
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
            at = bisect_left(fidx, q)
            jf = fidx[at] if at < nf else n
            at = bisect_left(sidx, q) + success_threshold - 1
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
    return RunCounts(opens, refused_ok, refused - refused_ok)
