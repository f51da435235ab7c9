"""fleet-incident: many hosts opening within the same minutes points at the caller
(DNS, proxy, network), not at each host. Reported once; those episodes are not
used to tune the hosts."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from advisor.rules.base import Proposal
from advisor.rules.evidence import HostEvidence
from advisor.window import iso_z

NAME = "fleet-incident"


@dataclass
class Incident:
    """Opens of ``hosts`` between ``start`` and ``end``."""

    start: datetime
    end: datetime
    hosts: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"start": iso_z(self.start), "end": iso_z(self.end), "hosts": self.hosts}

    def describe(self) -> str:
        return (
            f"fleet incident {iso_z(self.start)}: {len(self.hosts)} hosts opened within "
            f"{(self.end - self.start).total_seconds():.0f} s "
            "(likely the caller's network, DNS or proxy, not each host)"
        )


def detect(evidence: dict[str, HostEvidence], settings: dict[str, Any]) -> list[Incident]:
    """Find incidents and mark the episodes that began in one (``Episode.fleet``)."""
    cfg = settings["fleet_incident"]
    opens = sorted((ts, host) for host, ev in evidence.items() for ts in ev.opens_at)
    if not opens:
        return []
    need = max(cfg["min_hosts"], math.ceil(cfg["min_host_fraction"] * len({h for _, h in opens})))
    span = timedelta(seconds=cfg["window_s"])
    spans: list[tuple[datetime, datetime]] = []
    j = 0
    for i, (start, _) in enumerate(opens):
        j = max(j, i)
        while j + 1 < len(opens) and opens[j + 1][0] - start <= span:
            j += 1
        if len({h for _, h in opens[i : j + 1]}) >= need:
            if spans and start <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(spans[-1][1], opens[j][0]))
            else:
                spans.append((start, opens[j][0]))
    incidents = []
    for start, end in spans:
        hosts = sorted({h for ts, h in opens if start <= ts <= end})
        incidents.append(Incident(start, end, hosts))
        for host in hosts:
            for episode in evidence[host].episodes:
                if start <= episode.started_at <= end:
                    episode.fleet = True
    return incidents


def propose(ev: HostEvidence, current: dict[str, Any], settings: dict[str, Any]) -> list[Proposal]:
    fleet = [e for e in ev.episodes if e.fleet]
    if not fleet:
        return []
    return [
        Proposal(
            parameter="reset_timeout_s",
            suggested=current.get("reset_timeout_s"),
            rule=NAME,
            confidence="low",
            reasons=[
                f"{len(fleet)} of {len(ev.episodes)} outage episodes began in a fleet-wide "
                "incident (many hosts at once): likely the caller's network, DNS or proxy; "
                "not used to tune this host"
            ],
            evidence={"fleet_episodes": len(fleet), "episodes": len(ev.episodes)},
            note=True,
        )
    ]
