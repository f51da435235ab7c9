"""A realistic 200-host fleet for bench_report.py: a 24 h simulated crawl where most
hosts are healthy and a minority have trouble (benchmark only, not a ``simulate``
scenario).

Built from the simulator's ``HostProcess`` / ``Incident`` with a fixed draw, so the fleet
is the same on every run:
  * 160 healthy hosts (0.01-0.2 calls/s, 0.1-0.5 % background failures, no incidents);
  * 20 with a rare short blip (an outage of 20-90 s every ~6 h): a few opens, mostly no
    change;
  * 20 with trouble and a mistuned breaker, the crawl-night scenario's kinds in turn
    (short blips under a long reset_timeout_s, long outages under a short one, noise
    bursts under a small fail_max, 429 windows with a low retry_after_cap_s, a rarely
    called host with a large fail_max).
About 2 M events over the day.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from advisor.simulate import simulate
from advisor.simulate.scenarios import _DEFAULTS, SCENARIOS, HostProcess, Incident, Scenario

NAME = "bench-fleet-200"
HEALTHY, BLIPS, TROUBLE = 160, 20, 20


def _troubled(name: str, kind: int, rng: random.Random) -> HostProcess:
    """Host ``name`` with the ``kind``-th kind of trouble (crawl-night's, in turn)."""
    rate = rng.choice((0.2, 0.5, 1.0))
    if kind == 0:
        return HostProcess(
            name, "short blips (5-30 s)", rate, p_fail=0.003,
            incidents=(Incident("outage", 1800.0, duration_s=(5.0, 30.0), first_at=(0.0, 2.0)),),
            config={"reset_timeout_s": 600}, mistuned="reset_timeout_s 600 against 30 s blips",
        )  # fmt: skip
    if kind == 1:
        return HostProcess(
            name, "long outages (20-40 min)", rate, p_fail=0.002,
            incidents=(Incident("outage", 4 * 3600.0, duration_s=(1200.0, 2400.0)),),
            config={"reset_timeout_s": 15}, mistuned="reset_timeout_s 15 against long outages",
        )  # fmt: skip
    if kind == 2:
        return HostProcess(
            name, "noise bursts of 3-8 failures", rate, p_fail=0.01,
            incidents=(Incident("burst", 600.0, calls=(3, 8), first_at=(0.0, 2.0)),),
            config={"fail_max": 3}, mistuned="fail_max 3 opens on noise",
        )  # fmt: skip
    if kind == 3:
        return HostProcess(
            name, "429 windows, Retry-After 60-300 s", rate, p_fail=0.002,
            incidents=(Incident("throttle", 3600.0, duration_s=(60.0, 300.0)),),
            config={"retry_after_cap_s": 30}, mistuned="retry_after_cap_s 30 below Retry-After",
        )  # fmt: skip
    return HostProcess(
        name, "rarely called, long outages", 0.02, p_fail=0.01,
        incidents=(Incident("outage", 6 * 3600.0, duration_s=(1800.0, 3600.0)),),
        config={"fail_max": 10}, mistuned="fail_max 10 on a rarely called host",
    )  # fmt: skip


def fleet() -> Scenario:
    """The 200 hosts (a fixed draw)."""
    rng = random.Random(NAME)
    hosts = []
    for i in range(HEALTHY):
        rate = rng.choice((0.01, 0.02, 0.05, 0.1, 0.2))
        p_fail = round(rng.uniform(0.001, 0.005), 4)
        hosts.append(HostProcess(f"api.healthy{i:03d}.example.org", "healthy", rate, p_fail))
    for i in range(BLIPS):
        hosts.append(
            HostProcess(
                f"www.blips{i:02d}.example.org", "a rare blip (20-90 s)",
                rng.choice((0.1, 0.2, 0.5)), p_fail=0.002,
                incidents=(Incident("outage", 6 * 3600.0, duration_s=(20.0, 90.0),
                                    first_at=(0.0, 2.0)),),
            )
        )  # fmt: skip
    for i in range(TROUBLE):
        hosts.append(_troubled(f"data.trouble{i:02d}.example.org", i % 5, rng))
    return Scenario(
        NAME, "200 hosts, most healthy, a minority with trouble", _DEFAULTS, tuple(hosts)
    )


def realistic_fleet(data: Path, end: str, hours: float = 24.0) -> Path:
    """The fleet simulated once for ``hours`` up to ``end`` and kept under ``data``."""
    folder = data / f"{NAME}-{hours:g}h"
    if not (folder / "complete").exists():
        print(f"simulating {NAME} for {hours:g} h ...", file=sys.stderr, flush=True)
        SCENARIOS[NAME] = fleet  # one worker: the scenario is looked up in this process
        simulate(NAME, folder, hours=hours, seed=1, end=end, overwrite=True, workers=1)
        (folder / "complete").write_text("")
    return folder
