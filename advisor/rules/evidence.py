"""What the rules look at, per host: episodes with their probes, failure streaks,
request rate, Retry-After values, re-opens after closing. Built from the analysis's
DuckDB relations (``events``, ``episodes``, ``half_open_trials``) for the window."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from advisor import queries
from advisor.replay.timeline import Timeline
from advisor.window import Window


@dataclass
class Episode:
    """One outage episode: open -> (half_open -> open)* -> closed."""

    started_at: datetime
    duration_s: float
    censored: bool
    probes: list[tuple[float, str]] = field(default_factory=list)  # (s after start, outcome)
    manual: bool = False
    fleet: bool = False

    @property
    def failed_probes(self) -> int:
        return sum(1 for _, outcome in self.probes if outcome == "failure")

    @property
    def is_noise(self) -> bool:
        """The very first half-open trial succeeded: the host was fine (a false open)."""
        return (not self.censored) and bool(self.probes) and self.probes[0][1] == "success"

    def recovery_bounds(self) -> tuple[float, float]:
        """When the host came back, in seconds after the open: after the last failed
        probe and no later than the first successful one (the episode end otherwise)."""
        last_failed = max((t for t, o in self.probes if o == "failure"), default=0.0)
        if self.censored:
            return self.duration_s, self.duration_s
        first_ok = min(
            (t for t, o in self.probes if o == "success" and t >= last_failed),
            default=self.duration_s,
        )
        return last_failed, max(first_ok, last_failed)


@dataclass
class Streak:
    """``count`` runs of ``length`` consecutive failures while closed and what ended them
    (success, open, or None); ``ended_at`` is known for those the opening ended."""

    length: int
    ended_by: str | None
    ended_at: datetime | None
    count: int = 1


@dataclass
class HostEvidence:
    """Everything the rules know about one host in the window."""

    host: str
    window_s: float
    metrics: dict[str, Any]
    requests: int = 0
    failures: int = 0
    failures_429: int = 0
    retry_after_values: list[float] = field(default_factory=list)
    streaks: list[Streak] = field(default_factory=list)
    episodes: list[Episode] = field(default_factory=list)
    opens_at: list[datetime] = field(default_factory=list)  # closed -> open in the window
    closes: int = 0
    flaps: int = 0
    early_probes: int = 0
    recorded_reset_timeout_s: float | None = None
    active_s: float = 0.0  # time the host was being called (docs/design.md)
    first_at: datetime | None = None  # first and last call attempt in the window
    last_at: datetime | None = None
    timeline: Timeline | None = None  # recorded arrivals, for the decision model

    @property
    def rate(self) -> float:
        """Requests per *active* second that arrived for the host (reached it or
        refused): an idle night does not dilute a busy crawl's rate."""
        return self.requests / self.active_s if self.active_s > 0 else 0.0

    def tuning_episodes(self) -> list[Episode]:
        """Episodes usable as evidence: not manual, not part of a fleet incident."""
        return [e for e in self.episodes if not e.manual and not e.fleet]

    def inferred_fail_max(self) -> int | None:
        """The streak length that opened the breaker, when the telemetry agrees on one."""
        lengths: Counter[int] = Counter()
        for streak in self.streaks:
            if streak.ended_by == "open":
                lengths[streak.length] += streak.count
        if not lengths:
            return None
        value, count = lengths.most_common(1)[0]
        return value if count >= 2 and count * 2 > sum(lengths.values()) else None


def _params(window: Window, hosts: Sequence[str] | None) -> dict[str, Any]:
    return {"start": window.start, "end": window.end, "hosts": list(hosts or [])}


def collect_evidence(
    con: duckdb.DuckDBPyConnection,
    window: Window,
    metrics: dict[str, dict[str, Any]],
    settings: dict[str, Any],
    gap_limits: dict[str, float] | None = None,
) -> dict[str, HostEvidence]:
    """``{host: HostEvidence}`` for the hosts in ``metrics`` (the relations of
    ``advisor.metrics.compute_relations`` must exist for this window); ``gap_limits``
    per host: the longest gap between calls that still counts as active time."""
    hosts = sorted(metrics)
    params = _params(window, hosts)
    result = {h: HostEvidence(host=h, window_s=window.seconds, metrics=metrics[h]) for h in hosts}

    limits = gap_limits or {}
    rates = con.execute(
        queries.load("host_rates"),
        {**params, "limit_hosts": list(limits), "limit_s": [float(v) for v in limits.values()]},
    ).fetchall()
    for host, requests, failures, f429, ra_values, active_s, first, last in rates:
        ev = result[host]
        ev.first_at, ev.last_at = first, last
        ev.requests, ev.failures, ev.failures_429 = requests, failures, f429
        ev.retry_after_values = sorted(ra_values or [])
        ev.active_s = float(active_s or 0.0)

    # Streaks only matter where the breaker opened (fail_max rules, inferred fail_max):
    # sorting every call of every healthy host would be the costliest step of a run.
    opened = [h for h in hosts if metrics[h]["opens"] or metrics[h]["episodes"]]
    for host, length, ended_by, ended_at, count in con.execute(
        queries.load("failure_streaks"), _params(window, opened)
    ).fetchall():
        result[host].streaks.append(Streak(length, ended_by, ended_at, count))

    _attach_episodes(con, result)
    _attach_transitions(con, params, window, result, settings["flapping"]["reopen_within_s"])

    for host, early in con.execute(
        queries.load("probes_before_retry_after"), {"end": window.end}
    ).fetchall():
        if host in result:
            result[host].early_probes = early
    return result


def _attach_episodes(con: duckdb.DuckDBPyConnection, result: dict[str, HostEvidence]) -> None:
    for host, started, duration, censored, manual, probes in con.execute(
        queries.load("episode_probes")
    ).fetchall():
        if host in result:
            result[host].episodes.append(
                Episode(started, duration, bool(censored), [tuple(p) for p in probes or []],
                        manual=bool(manual))
            )  # fmt: skip


def _attach_transitions(
    con: duckdb.DuckDBPyConnection,
    params: dict[str, Any],
    window: Window,
    result: dict[str, HostEvidence],
    reopen_within_s: float,
) -> None:
    rows = con.execute(queries.load("window_transitions"), params).fetchall()
    by_run: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    for host, run_key, ts, old, new, reset, manual in rows:
        if host not in result:
            continue
        by_run[(host, run_key)].append((ts, old, new, reset, manual))
        if reset is not None:
            result[host].recorded_reset_timeout_s = reset
    for (host, _run), seq in by_run.items():
        ev = result[host]
        next_reopen = None  # ts of the next closed -> open, scanning backwards
        for ts, old, new, _reset, manual in reversed(seq):
            if ts >= window.start and not manual:
                if old == "closed" and new == "open":
                    ev.opens_at.append(ts)
                if new == "closed" and old == "half_open":
                    ev.closes += 1
                    if next_reopen is not None and (
                        (next_reopen - ts).total_seconds() <= reopen_within_s
                    ):
                        ev.flaps += 1
            if old == "closed" and new == "open":
                next_reopen = ts
        ev.opens_at.sort()
