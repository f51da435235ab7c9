"""fleet-incident: many hosts opening within the same short span points at the caller
(DNS, proxy, network), not at each host -- but only when that is unlikely by chance.

Busy fleets with flaky hosts open all the time, so "3 hosts within 2 minutes" happens
by coincidence. A span counts as an incident when at least ``min_hosts`` and at least
``min_active_fraction`` of the hosts active then open in it, and the probability of that
many opening by chance -- each host opening at its own rate (opens per active second),
independently -- is below ``alpha`` after a Bonferroni correction over every span
scanned (one per open). Its episodes are left out of each host's fit; the rest of the
host's evidence still counts. Detection always runs over every host, whatever
``--host`` prints.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta

import numpy as np

from advisor.advice.rules.evidence import HostEvidence
from advisor.model import FleetIncident
from advisor.rule_settings import RuleSettings

NAME = "fleet-incident"


def at_least(probabilities: list[float], k: int) -> float:
    """P(at least ``k`` of independent events with these probabilities happen)."""
    if k <= 0:
        return 1.0
    dist = np.zeros(len(probabilities) + 1)
    dist[0] = 1.0
    for p in probabilities:
        dist[1:] = dist[1:] * (1 - p) + dist[:-1] * p
        dist[0] *= 1 - p
    return float(min(1.0, dist[k:].sum()))


def _active(ev: HostEvidence, at: datetime) -> bool:
    return ev.first_at is not None and ev.last_at is not None and ev.first_at <= at <= ev.last_at


def detect(evidence: dict[str, HostEvidence], settings: RuleSettings) -> list[FleetIncident]:
    """Find incidents and mark the episodes that began in one (``Episode.fleet``)."""
    cfg = settings.fleet_incident
    opens = sorted((ts, host) for host, ev in evidence.items() for ts in ev.opens_at)
    if not opens:
        return []
    span = timedelta(seconds=cfg.window_s)
    rate = {
        host: len(ev.opens_at) / ev.active_s if ev.active_s > 0 else 0.0
        for host, ev in evidence.items()
    }
    found: list[FleetIncident] = []
    j = 0
    for i, (start, anchor) in enumerate(opens):
        j = max(j, i)
        while j + 1 < len(opens) and opens[j + 1][0] - start <= span:
            j += 1
        hosts = sorted({h for _, h in opens[i : j + 1]})
        active = [h for h, ev in evidence.items() if _active(ev, start)]
        need = max(cfg.min_hosts, math.ceil(cfg.min_active_fraction * len(active)))
        if len(hosts) < need:
            continue
        others = [1.0 - math.exp(-rate[h] * cfg.window_s) for h in active if h != anchor]
        p_value = min(1.0, at_least(others, len(hosts) - 1) * len(opens))
        if p_value >= cfg.alpha:
            continue
        end = opens[j][0]
        if found and start <= found[-1].end:
            last = found[-1]
            last.end = max(last.end, end)
            last.hosts = sorted(set(last.hosts) | set(hosts))
            last.p_value = min(last.p_value, p_value)
            last.active_hosts = max(last.active_hosts, len(active))
        else:
            found.append(FleetIncident(start, end, hosts, len(active), p_value))
    mark_episodes(evidence.values(), found)
    return found


def mark_episodes(evidence: Iterable[HostEvidence], incidents: list[FleetIncident]) -> None:
    """Mark the episodes (of hosts, or of their breakers) that began in an incident their
    host took part in (``Episode.fleet``)."""
    for ev in evidence:
        for start, end in spans_of(ev.host, incidents):
            for episode in ev.episodes:
                if start <= episode.started_at <= end:
                    episode.fleet = True


def spans_of(host: str, incidents: list[FleetIncident]) -> list[tuple[datetime, datetime]]:
    """The incidents ``host`` took part in, as (start, end) spans."""
    return [(i.start, i.end) for i in incidents if host in i.hosts]
