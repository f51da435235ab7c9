"""What the rules look at, per host or per breaker (docs/design.md "Breakers"):
episodes with their probes, failure streaks, request rate, Retry-After values, re-opens
after closing. Built from the analysis's DuckDB relations (``events``, ``episodes``,
``half_open_trials``) for the window. Episodes, streaks and re-opens are each one
breaker's; a host's evidence pools its breakers'."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from advisor import queries
from advisor.advice.replay.timeline import Timeline
from advisor.rule_settings import RuleSettings
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
    """Everything the rules know about one host in the window -- or about one of its
    breakers, when ``role`` is set or the evidence was collected per breaker."""

    host: str
    window_s: float
    metrics: dict[str, Any]
    role: str | None = None  # the breaker's role (None: the host's own breaker, or all)
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
    active_s: float = 0.0  # time the host (breaker) was being called (docs/design.md)
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


Key = tuple[str, str | None]  # (host, breaker role); the role is None per host


def _params(window: Window, hosts: Sequence[str] | None) -> dict[str, Any]:
    return {"start": window.start, "end": window.end, "hosts": list(hosts or [])}


def collect_evidence(
    con: duckdb.DuckDBPyConnection,
    window: Window,
    metrics: dict[str, dict[str, Any]],
    settings: RuleSettings,
    gap_limits: dict[str, float] | None = None,
) -> dict[str, HostEvidence]:
    """``{host: HostEvidence}`` for the hosts in ``metrics`` (the relations of
    ``advisor.metrics.hosts.compute_relations`` must exist for this window); ``gap_limits``
    per host: the longest gap between calls that still counts as active time. A host
    with several breakers pools them: its episodes, streaks and re-opens are each one
    breaker's, its request rate and active time the host's."""
    keyed: dict[Key, dict[str, Any]] = {(host, None): values for host, values in metrics.items()}
    limits: dict[Key, float] = {(host, None): value for host, value in (gap_limits or {}).items()}
    found = _collect(con, window, keyed, settings, limits, by_breaker=False)
    return {host: ev for (host, _), ev in found.items()}


def collect_breaker_evidence(
    con: duckdb.DuckDBPyConnection,
    window: Window,
    metrics: dict[Key, dict[str, Any]],
    settings: RuleSettings,
    gap_limits: dict[Key, float] | None = None,
) -> dict[Key, HostEvidence]:
    """``{(host, role): HostEvidence}`` for the breakers in ``metrics`` (role None: the
    host's own breaker; ``advisor.metrics.hosts.breaker_metrics``), each from its own calls and
    transitions; ``gap_limits`` per breaker as in ``collect_evidence``."""
    return _collect(con, window, metrics, settings, gap_limits or {}, by_breaker=True)


def _collect(
    con: duckdb.DuckDBPyConnection,
    window: Window,
    metrics: dict[Key, dict[str, Any]],
    settings: RuleSettings,
    limits: dict[Key, float],
    by_breaker: bool,
) -> dict[Key, HostEvidence]:
    keys = sorted(metrics, key=lambda k: (k[0], k[1] is not None, k[1] or ""))
    hosts = sorted({host for host, _ in keys})
    params = {**_params(window, hosts), "by_breaker": by_breaker}
    result = {
        (host, role): HostEvidence(
            host=host, window_s=window.seconds, metrics=metrics[(host, role)], role=role
        )
        for host, role in keys
    }

    rates = con.execute(
        queries.load("rules/host_rates"),
        {
            **params,
            "limit_hosts": [host for host, _ in limits],
            "limit_roles": [role for _, role in limits],
            "limit_s": [float(v) for v in limits.values()],
        },
    ).fetchall()
    for host, role, requests, failures, f429, ra_values, active_s, first, last in rates:
        ev = result.get((host, role))
        if ev is None:
            continue
        ev.first_at, ev.last_at = first, last
        ev.requests, ev.failures, ev.failures_429 = requests, failures, f429
        ev.retry_after_values = sorted(ra_values or [])
        ev.active_s = float(active_s or 0.0)

    # Streaks only matter where the breaker opened (fail_max rules, inferred fail_max):
    # sorting every call of every healthy host would be the costliest step of a run.
    opened = sorted(
        {h for (h, r) in keys if metrics[(h, r)]["opens"] or metrics[(h, r)]["episodes"]}
    )
    for host, role, length, ended_by, ended_at, count in con.execute(
        queries.load("rules/failure_streaks"), {**_params(window, opened), "by_breaker": by_breaker}
    ).fetchall():
        if (host, role) in result:
            result[(host, role)].streaks.append(Streak(length, ended_by, ended_at, count))

    _attach_episodes(con, result, by_breaker)
    _attach_transitions(con, params, window, result, settings.flapping.reopen_within_s, by_breaker)

    for host, role, early in con.execute(
        queries.load("rules/probes_before_retry_after"),
        {"end": window.end, "by_breaker": by_breaker},
    ).fetchall():
        if (host, role) in result:
            result[(host, role)].early_probes = early
    return result


def _attach_episodes(
    con: duckdb.DuckDBPyConnection, result: dict[Key, HostEvidence], by_breaker: bool
) -> None:
    for host, role, started, duration, censored, manual, probes in con.execute(
        queries.load("rules/episode_probes")
    ).fetchall():
        ev = result.get((host, role if by_breaker else None))
        if ev is not None:
            ev.episodes.append(
                Episode(started, duration, bool(censored), [tuple(p) for p in probes or []],
                        manual=bool(manual))
            )  # fmt: skip
    if not by_breaker:  # a host's breakers' episodes, in time order
        for ev in result.values():
            ev.episodes.sort(key=lambda e: e.started_at)


def _attach_transitions(
    con: duckdb.DuckDBPyConnection,
    params: dict[str, Any],
    window: Window,
    result: dict[Key, HostEvidence],
    reopen_within_s: float,
    by_breaker: bool,
) -> None:
    rows = con.execute(
        queries.load("rules/window_transitions"),
        {k: v for k, v in params.items() if k in ("start", "end", "hosts")},
    ).fetchall()
    # one breaker's transitions: (ts, old state, new state, recorded reset timeout, manual)
    by_run: dict[tuple[Key, str | None, str], list[tuple[Any, ...]]] = defaultdict(list)
    for host, role, run_key, ts, old, new, reset, manual in rows:
        key = (host, role if by_breaker else None)
        if key not in result:
            continue
        by_run[(key, role, run_key)].append((ts, old, new, reset, manual))  # one breaker's
        if reset is not None and (by_breaker or role is None):
            result[key].recorded_reset_timeout_s = reset
    for (key, _role, _run), seq in by_run.items():
        ev = result[key]
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
