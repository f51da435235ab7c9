"""Synthetic telemetry: the real breaker runtime driven over simulated hosts on a virtual clock.

Each host has an offered request rate and a plan of incidents (outages, slow
recoveries, short noise streaks, 429 windows with Retry-After), optionally stretches in
which it is down whatever happens (e.g. the whole run) and stretches outside which it
gets no traffic (a crawl that runs 8 h of 24); a scenario may add caller-side incidents
that take several hosts down at once. Calls arrive as a Poisson process per host (over
its active time) and go through the real ``BreakerRegistry`` (real pybreaker
breakers, listener and writer). pybreaker reads the wall clock, so while the
simulation runs ``pybreaker.datetime`` is swapped for one that reads the virtual clock.
A run writes ``manifest.sqlite3``, the ``breakers.yaml`` it used and ``truth.json``
(what really happened to each host). Same scenario, seed and end -> identical rows.
"""

from __future__ import annotations

from advisor.simulate.clock import VirtualClock, pybreaker_clock
from advisor.simulate.hosts import (
    Phase,
    SimulatedConnectionError,
    SimulatedHTTPError,
    SimulatedTimeout,
    plan_fleet,
    plan_incidents,
)
from advisor.simulate.run import (
    CONFIG_NAME,
    MANIFEST_NAME,
    TRUTH_NAME,
    SimulationResult,
    default_workers,
    resolve_end,
    simulate,
)
from advisor.simulate.scenarios import (
    SCENARIOS,
    FleetIncidents,
    HostProcess,
    Incident,
    Scenario,
    scenario,
)

__all__ = [
    "CONFIG_NAME",
    "MANIFEST_NAME",
    "SCENARIOS",
    "TRUTH_NAME",
    "FleetIncidents",
    "HostProcess",
    "Incident",
    "Phase",
    "Scenario",
    "SimulatedConnectionError",
    "SimulatedHTTPError",
    "SimulatedTimeout",
    "SimulationResult",
    "VirtualClock",
    "default_workers",
    "plan_fleet",
    "plan_incidents",
    "pybreaker_clock",
    "resolve_end",
    "scenario",
    "simulate",
]
