"""The simulated fleets: hosts, their traffic and trouble, and the config they run with."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from advisor.errors import UsageError


@dataclass(frozen=True)
class Incident:
    """A kind of trouble a host has, arriving as a Poisson process (mean gap ``every_s``).

    ``kind``: ``outage`` (host down for ``duration_s``; ``recovery_s`` > 0 adds a slow
    recovery after it, when successes come back gradually), ``throttle`` (every call
    answered 429 with a Retry-After pointing at the window's end) or ``burst`` (a noise
    streak: every call fails for about ``calls`` calls' worth of time). Durations and
    counts are drawn uniformly from their ranges.

    The first one starts ``first_at`` (a range, drawn uniformly) times ``min(run,
    every_s)`` into the run (or into an active stretch). The default puts it early, so a
    short run sees it; ``SPREAD`` starts each host's process about where a long-running
    one would be, so hosts of a fleet do not all have their first incident together.
    """

    kind: str
    every_s: float
    duration_s: tuple[float, float] = (0.0, 0.0)
    recovery_s: tuple[float, float] = (0.0, 0.0)
    calls: tuple[int, int] = (0, 0)
    first_at: tuple[float, float] = (0.05, 0.3)


SPREAD = (0.0, 2.0)
"""``Incident.first_at`` for hosts that must stay independent of each other."""


@dataclass(frozen=True)
class HostProcess:
    """One simulated host: its traffic, its health, and what the operator configured."""

    host: str
    behaviour: str
    rate: float
    p_fail: float = 0.0
    latency_ms: float = 80.0
    timeout_s: float = 10.0
    incidents: tuple[Incident, ...] = ()
    config: dict[str, float] = field(default_factory=dict)
    mistuned: str = ""
    active: tuple[tuple[float, float], ...] = ()
    """Stretches of the run (fractions of it, e.g. ``((1/6, 1/2),)``) in which the host gets
    traffic; none at all outside them. Empty: always. Incidents are planned inside them."""
    down: tuple[tuple[float, float], ...] = ()
    """Stretches of the run (fractions) in which the host is down whatever its incidents
    say, e.g. ``((0.0, 1.0),)``: down for the whole run."""


@dataclass(frozen=True)
class FleetIncidents:
    """A caller-side incident (the crawler's own network, proxy or resolver failing): every
    host in ``hosts`` unreachable at the same time, on top of its own trouble.

    ``count`` incidents (drawn uniformly from the range) of ``duration_s`` each (drawn
    uniformly, at most half of its share of the run): the run is cut into ``count`` equal
    parts and each holds one, away from the part's edges. Drawn from the scenario's own
    random stream, so a host's own incident plan does not depend on them.
    """

    hosts: tuple[str, ...]
    count: tuple[int, int] = (1, 3)
    duration_s: tuple[float, float] = (120.0, 360.0)


@dataclass(frozen=True)
class Scenario:
    """A named set of hosts and the breaker defaults they run with."""

    name: str
    description: str
    defaults: dict[str, float]
    hosts: tuple[HostProcess, ...]
    fleet: FleetIncidents | None = None


_DEFAULTS: dict[str, float] = {"fail_max": 5, "reset_timeout_s": 60, "retry_after_cap_s": 900}


def _crawl_night() -> Scenario:
    hosts = (
        HostProcess(
            "api.crossref.org", "healthy, busy", 12.0, p_fail=0.002, latency_ms=120,
            config={"fail_max": 6, "reset_timeout_s": 90},
        ),
        HostProcess("doi.org", "healthy, very busy", 20.0, p_fail=0.001, latency_ms=40),
        HostProcess("www.ebi.ac.uk", "healthy", 1.0, p_fail=0.01, latency_ms=200),
        HostProcess(
            "api.semanticscholar.org", "flaky: noise bursts of 3-8 failures", 5.0,
            p_fail=0.01, latency_ms=150,
            incidents=(Incident("burst", 240.0, calls=(3, 8)),),
            config={"fail_max": 3, "reset_timeout_s": 60},
            mistuned="fail_max 3 is shorter than its noise streaks: it opens on noise",
        ),
        HostProcess(
            "api.core.ac.uk", "flaky: high background failure rate", 2.0, p_fail=0.08,
            latency_ms=300,
        ),
        HostProcess(
            "api.openalex.org", "long outages (20-40 min)", 8.0, p_fail=0.002, latency_ms=90,
            incidents=(Incident("outage", 3 * 3600.0, duration_s=(1200.0, 2400.0)),),
            config={"reset_timeout_s": 15},
            mistuned="reset_timeout_s 15 probes a host that stays down for half an hour",
        ),
        HostProcess(
            "eutils.ncbi.nlm.nih.gov", "short blips (5-30 s)", 4.0, p_fail=0.003,
            latency_ms=250,
            incidents=(Incident("outage", 1200.0, duration_s=(5.0, 30.0)),),
            config={"reset_timeout_s": 600},
            mistuned="reset_timeout_s 600 keeps a busy host blocked long after 30 s blips",
        ),
        HostProcess(
            "europepmc.org", "healthy with a rare blip", 4.0, p_fail=0.002, latency_ms=180,
            incidents=(Incident("outage", 4 * 3600.0, duration_s=(20.0, 90.0)),),
        ),
        HostProcess(
            "export.arxiv.org", "rate-limited: 429 windows with Retry-After 60-300 s", 2.0,
            p_fail=0.002, latency_ms=400,
            incidents=(Incident("throttle", 1800.0, duration_s=(60.0, 300.0)),),
            config={"fail_max": 10, "reset_timeout_s": 120, "retry_after_cap_s": 30},
            mistuned="retry_after_cap_s 30 cuts Retry-After of up to 300 s: probes too early",
        ),
        HostProcess(
            "api.unpaywall.org", "outages with slow recovery", 3.0, p_fail=0.003,
            latency_ms=150,
            incidents=(
                Incident(
                    "outage", 2 * 3600.0, duration_s=(300.0, 600.0), recovery_s=(600.0, 1200.0)
                ),
            ),
            mistuned="success_threshold 1 closes on the first lucky trial during recovery",
        ),
        HostProcess(
            "zenodo.org", "rarely called, long outages", 0.02, p_fail=0.01, latency_ms=600,
            incidents=(Incident("outage", 4 * 3600.0, duration_s=(3600.0, 5400.0)),),
            config={"fail_max": 10, "reset_timeout_s": 30},
            mistuned="fail_max 10 at 0.02 calls/s sends ten calls into each outage",
        ),
        HostProcess("api.datacite.org", "healthy, slow traffic", 0.5, p_fail=0.005, latency_ms=220),
    )  # fmt: skip
    return Scenario("crawl-night", "a night of crawling about a dozen APIs", _DEFAULTS, hosts)


def _outage() -> Scenario:
    hosts = (
        HostProcess(
            "api.openalex.org", "one long outage (30-60 min)", 5.0, p_fail=0.002,
            incidents=(Incident("outage", 6 * 3600.0, duration_s=(1800.0, 3600.0)),),
            config={"reset_timeout_s": 20},
            mistuned="reset_timeout_s 20 against an outage of up to an hour",
        ),
        HostProcess(
            "api.unpaywall.org", "medium outages with slow recovery", 2.0, p_fail=0.003,
            incidents=(
                Incident("outage", 3600.0, duration_s=(300.0, 900.0), recovery_s=(300.0, 900.0)),
            ),
        ),
        HostProcess(
            "zenodo.org", "rarely called, long outage", 0.05, p_fail=0.01,
            incidents=(Incident("outage", 6 * 3600.0, duration_s=(2400.0, 4800.0)),),
            config={"fail_max": 8},
            mistuned="fail_max 8 on a rarely called host",
        ),
        HostProcess("api.crossref.org", "healthy control", 10.0, p_fail=0.002),
    )  # fmt: skip
    return Scenario("outage", "hosts going down for long stretches", _DEFAULTS, hosts)


def _rate_limited() -> Scenario:
    hosts = (
        HostProcess(
            "export.arxiv.org", "429 windows, Retry-After 60-300 s", 2.0, p_fail=0.002,
            incidents=(Incident("throttle", 1200.0, duration_s=(60.0, 300.0)),),
            config={"retry_after_cap_s": 30},
            mistuned="retry_after_cap_s 30 below the Retry-After the server sends",
        ),
        HostProcess(
            "api.github.com", "frequent short 429 windows", 6.0, p_fail=0.001,
            incidents=(Incident("throttle", 300.0, duration_s=(10.0, 60.0)),),
        ),
        HostProcess(
            "api.semanticscholar.org", "429 windows and noise", 4.0, p_fail=0.01,
            incidents=(
                Incident("throttle", 900.0, duration_s=(30.0, 120.0)),
                Incident("burst", 600.0, calls=(2, 5)),
            ),
            config={"fail_max": 3},
            mistuned="fail_max 3 opens on noise streaks",
        ),
        HostProcess("api.crossref.org", "healthy control", 8.0, p_fail=0.002),
    )  # fmt: skip
    return Scenario("rate-limited", "hosts answering 429 with Retry-After", _DEFAULTS, hosts)


def _flapping() -> Scenario:
    hosts = (
        HostProcess(
            "api.semanticscholar.org", "noise bursts of 3-8 failures", 6.0, p_fail=0.02,
            incidents=(Incident("burst", 180.0, calls=(3, 8)),),
            config={"fail_max": 2, "reset_timeout_s": 10},
            mistuned="fail_max 2 / reset_timeout_s 10: opens on every noise streak",
        ),
        HostProcess(
            "api.core.ac.uk", "background failure rate 15%", 3.0, p_fail=0.15,
            config={"fail_max": 2},
            mistuned="fail_max 2 with a 15% background failure rate",
        ),
        HostProcess(
            "api.unpaywall.org", "short outages, slow recovery", 3.0, p_fail=0.01,
            incidents=(
                Incident("outage", 1800.0, duration_s=(60.0, 180.0), recovery_s=(300.0, 600.0)),
            ),
            config={"reset_timeout_s": 5},
            mistuned="reset_timeout_s 5 flaps through every recovery",
        ),
        HostProcess("api.crossref.org", "healthy control", 8.0, p_fail=0.002),
    )  # fmt: skip
    return Scenario("flapping", "breakers that open and close on noise", _DEFAULTS, hosts)


def _down_whole_window() -> Scenario:
    hosts = (
        HostProcess(
            "api.labs.cognitive.microsoft.com", "down for the whole run (a retired API)", 2.0,
            down=((0.0, 1.0),),
            config={"reset_timeout_s": 30},
            mistuned="reset_timeout_s 30 probes a host that never comes back twice a minute",
        ),
        HostProcess(
            "data.oldmirror.org", "rarely called, down for the whole run", 0.05,
            latency_ms=400, down=((0.0, 1.0),),
        ),
        HostProcess("api.crossref.org", "healthy control", 8.0, p_fail=0.002, latency_ms=120),
        HostProcess("doi.org", "healthy control", 5.0, p_fail=0.001, latency_ms=40),
    )  # fmt: skip
    return Scenario(
        "down-whole-window", "hosts that are down from the first call to the last", _DEFAULTS,
        hosts,
    )  # fmt: skip


_FLEET_HOSTS = (
    "api.crossref.org",
    "api.openalex.org",
    "api.semanticscholar.org",
    "eutils.ncbi.nlm.nih.gov",
    "export.arxiv.org",
    "europepmc.org",
    "api.unpaywall.org",
    "zenodo.org",
)


def _fleet_incident() -> Scenario:
    hosts = (
        HostProcess("api.crossref.org", "healthy, busy", 6.0, p_fail=0.002, latency_ms=120),
        HostProcess(
            "api.openalex.org", "short outages (10-60 s)", 5.0, p_fail=0.002, latency_ms=90,
            incidents=(Incident("outage", 1800.0, duration_s=(10.0, 60.0), first_at=SPREAD),),
        ),
        HostProcess(
            "api.semanticscholar.org", "noise bursts of 3-8 failures", 3.0, p_fail=0.01,
            latency_ms=150,
            incidents=(Incident("burst", 300.0, calls=(3, 8), first_at=SPREAD),),
            config={"fail_max": 3},
            mistuned="fail_max 3 is shorter than its noise streaks: it opens on noise",
        ),
        HostProcess(
            "eutils.ncbi.nlm.nih.gov", "short blips (5-30 s)", 3.0, p_fail=0.003,
            latency_ms=250,
            incidents=(Incident("outage", 1200.0, duration_s=(5.0, 30.0), first_at=SPREAD),),
            config={"reset_timeout_s": 300},
            mistuned="reset_timeout_s 300 keeps a busy host blocked long after 30 s blips",
        ),
        HostProcess(
            "export.arxiv.org", "429 windows, Retry-After 60-300 s", 1.0, p_fail=0.002,
            latency_ms=400,
            incidents=(Incident("throttle", 1800.0, duration_s=(60.0, 300.0), first_at=SPREAD),),
        ),
        HostProcess("europepmc.org", "healthy", 2.0, p_fail=0.003, latency_ms=180),
        HostProcess(
            "api.unpaywall.org", "outages with slow recovery", 1.0, p_fail=0.003,
            latency_ms=150,
            incidents=(
                Incident(
                    "outage", 2 * 3600.0, duration_s=(300.0, 600.0), recovery_s=(300.0, 600.0)
                ),
            ),
        ),
        HostProcess(
            "zenodo.org", "rarely called, long outages", 0.1, p_fail=0.01, latency_ms=600,
            incidents=(Incident("outage", 4 * 3600.0, duration_s=(1200.0, 2400.0)),),
        ),
        HostProcess(
            "metadata.internal", "healthy; inside the caller's network (no fleet incident)",
            4.0, p_fail=0.001, latency_ms=20,
        ),
        HostProcess(
            "cache.internal", "healthy; inside the caller's network (no fleet incident)", 2.0,
            p_fail=0.001, latency_ms=10,
        ),
    )  # fmt: skip
    return Scenario(
        "fleet-incident",
        "the caller's own network fails 1-3 times for 2-6 min: 8 outside hosts unreachable "
        "at once, on top of their own trouble",
        _DEFAULTS,
        hosts,
        fleet=FleetIncidents(_FLEET_HOSTS, count=(1, 3), duration_s=(120.0, 360.0)),
    )


_MANY_HOSTS = (
    "api.crossref.org", "api.openalex.org", "api.semanticscholar.org",
    "eutils.ncbi.nlm.nih.gov", "www.ebi.ac.uk", "europepmc.org", "export.arxiv.org",
    "api.unpaywall.org", "zenodo.org", "api.datacite.org", "api.core.ac.uk", "doaj.org",
    "api.springernature.com", "api.elsevier.com", "onlinelibrary.wiley.com",
    "journals.plos.org", "www.mdpi.com", "www.frontiersin.org", "www.biorxiv.org",
    "www.medrxiv.org", "link.springer.com", "www.tandfonline.com", "academic.oup.com",
    "www.cambridge.org", "ieeexplore.ieee.org", "dl.acm.org", "www.jstor.org",
    "pubs.acs.org", "iopscience.iop.org", "www.nature.com",
)  # fmt: skip


def _many_independent() -> Scenario:
    # a fixed draw (not the run's seed): the fleet is the same for every seed
    rng = random.Random("many-independent")
    hosts = []
    for name in _MANY_HOSTS:
        rate = rng.choice((0.2, 0.5, 1.0, 1.0, 2.0))
        incidents = [
            Incident(
                "outage", rng.uniform(600.0, 1500.0), duration_s=(20.0, 120.0), first_at=SPREAD
            )
        ]
        behaviour = "short outages (20-120 s) every 20-35 min"
        config: dict[str, float] = {}
        mistuned = ""
        kind = rng.random()
        if kind < 0.3:
            incidents.append(Incident("burst", 900.0, calls=(3, 8), first_at=SPREAD))
            behaviour += ", noise bursts of 3-8 failures"
            config = {"fail_max": 3}
            mistuned = "fail_max 3 is shorter than its noise streaks: it opens on noise"
        elif kind < 0.5:
            config = {"reset_timeout_s": 600}
            mistuned = "reset_timeout_s 600 against outages of at most 2 min"
        hosts.append(
            HostProcess(
                name, behaviour, rate, p_fail=round(rng.uniform(0.001, 0.01), 4),
                latency_ms=round(rng.uniform(40.0, 400.0)), incidents=tuple(incidents),
                config=config, mistuned=mistuned,
            )
        )  # fmt: skip
    return Scenario(
        "many-independent",
        "30 independent hosts opening several times an hour: some opens coincide by chance",
        _DEFAULTS,
        tuple(hosts),
    )


_CRAWL = ((1 / 6, 1 / 2),)  # 8 h of 24: hours 4-12 of a 24 h run


def _idle_gaps() -> Scenario:
    hosts = (
        HostProcess(
            "api.crossref.org", "healthy, busy; crawled 8 h of 24", 8.0, p_fail=0.002,
            latency_ms=120, active=_CRAWL,
        ),
        HostProcess(
            "eutils.ncbi.nlm.nih.gov", "short blips (5-30 s); crawled 8 h of 24", 4.0,
            p_fail=0.003, latency_ms=250, active=_CRAWL,
            incidents=(Incident("outage", 1200.0, duration_s=(5.0, 30.0), first_at=SPREAD),),
            config={"reset_timeout_s": 600},
            mistuned="reset_timeout_s 600 keeps a busy host blocked long after 30 s blips",
        ),
        HostProcess(
            "api.semanticscholar.org", "noise bursts of 3-8 failures; crawled 8 h of 24", 3.0,
            p_fail=0.01, latency_ms=150, active=_CRAWL,
            incidents=(Incident("burst", 300.0, calls=(3, 8), first_at=SPREAD),),
            config={"fail_max": 3},
            mistuned="fail_max 3 is shorter than its noise streaks: it opens on noise",
        ),
        HostProcess(
            "export.arxiv.org", "429 windows, Retry-After 60-300 s; crawled 8 h of 24", 1.0,
            p_fail=0.002, latency_ms=400, active=_CRAWL,
            incidents=(Incident("throttle", 1800.0, duration_s=(60.0, 300.0), first_at=SPREAD),),
            config={"retry_after_cap_s": 30},
            mistuned="retry_after_cap_s 30 below the Retry-After the server sends",
        ),
        HostProcess(
            "zenodo.org", "rarely called, long outages; crawled 8 h of 24", 0.05, p_fail=0.01,
            latency_ms=600, active=_CRAWL,
            incidents=(Incident("outage", 3 * 3600.0, duration_s=(1200.0, 2400.0)),),
            config={"fail_max": 10},
            mistuned="fail_max 10 on a rarely called host sends ten calls into each outage",
        ),
        HostProcess(
            "api.openalex.org", "long outages (10-30 min); two 4 h jobs a day", 3.0,
            p_fail=0.002, latency_ms=90, active=((0.0, 1 / 6), (2 / 3, 5 / 6)),
            incidents=(Incident("outage", 3 * 3600.0, duration_s=(600.0, 1800.0)),),
            config={"reset_timeout_s": 15},
            mistuned="reset_timeout_s 15 probes a host that stays down for many minutes",
        ),
        HostProcess(
            "status.crossref.org", "healthy, polled all day (always active)", 0.1,
            p_fail=0.001, latency_ms=60,
        ),
    )  # fmt: skip
    return Scenario(
        "idle-gaps",
        "a crawl that runs 8 h of every 24 (one 8 h stretch, or two 4 h jobs); run it with "
        "--hours 24 for 16 idle hours",
        _DEFAULTS,
        hosts,
    )


def _blips() -> Scenario:
    hosts = (
        HostProcess(
            "eutils.ncbi.nlm.nih.gov", "short blips (5-30 s)", 4.0, p_fail=0.003,
            latency_ms=250,
            incidents=(Incident("outage", 1200.0, duration_s=(5.0, 30.0), first_at=SPREAD),),
            config={"reset_timeout_s": 600},
            mistuned="reset_timeout_s 600 keeps a busy host blocked long after 30 s blips",
        ),
        HostProcess(
            "api.openalex.org", "very short blips (3-20 s)", 10.0, p_fail=0.002, latency_ms=90,
            incidents=(Incident("outage", 900.0, duration_s=(3.0, 20.0), first_at=SPREAD),),
            config={"reset_timeout_s": 900},
            mistuned="reset_timeout_s 900 against blips of at most 20 s",
        ),
        HostProcess(
            "api.crossref.org", "short blips (5-40 s)", 12.0, p_fail=0.002, latency_ms=120,
            incidents=(Incident("outage", 1500.0, duration_s=(5.0, 40.0), first_at=SPREAD),),
            config={"reset_timeout_s": 300},
            mistuned="reset_timeout_s 300 against blips of at most 40 s",
        ),
        HostProcess(
            "europepmc.org", "short blips (3-40 s)", 2.0, p_fail=0.003, latency_ms=180,
            incidents=(Incident("outage", 1200.0, duration_s=(3.0, 40.0), first_at=SPREAD),),
            config={"reset_timeout_s": 600},
            mistuned="reset_timeout_s 600 against blips of at most 40 s",
        ),
        HostProcess(
            "www.ebi.ac.uk", "rarely called, short blips (3-40 s)", 0.05, p_fail=0.003,
            latency_ms=200,
            incidents=(Incident("outage", 1200.0, duration_s=(3.0, 40.0), first_at=SPREAD),),
            config={"reset_timeout_s": 900},
        ),
        HostProcess("api.datacite.org", "healthy control", 1.0, p_fail=0.003, latency_ms=220),
    )  # fmt: skip
    return Scenario(
        "blips", "short outages (3-40 s) under long reset timeouts (300-900 s)", _DEFAULTS, hosts
    )


def _long_outages() -> Scenario:
    hosts = (
        HostProcess(
            "zenodo.org", "rarely called (0.05/s), outages of 20-60 min", 0.05, p_fail=0.01,
            latency_ms=600,
            incidents=(Incident("outage", 2 * 3600.0, duration_s=(1200.0, 3600.0)),),
            config={"reset_timeout_s": 5},
            mistuned="reset_timeout_s 5: every call during an outage is a failed probe",
        ),
        HostProcess(
            "api.datacite.org", "slow traffic (0.2/s), outages of 10-40 min", 0.2,
            p_fail=0.005, latency_ms=220,
            incidents=(Incident("outage", 2 * 3600.0, duration_s=(600.0, 2400.0)),),
            config={"reset_timeout_s": 10},
            mistuned="reset_timeout_s 10 against outages of up to 40 min",
        ),
        HostProcess(
            "api.openalex.org", "1/s, outages of 20-60 min", 1.0, p_fail=0.002, latency_ms=90,
            incidents=(Incident("outage", 3 * 3600.0, duration_s=(1200.0, 3600.0)),),
            config={"reset_timeout_s": 15},
            mistuned="reset_timeout_s 15 probes a host that stays down for up to an hour",
        ),
        HostProcess(
            "api.unpaywall.org", "3/s, outages of 10-30 min", 3.0, p_fail=0.003,
            latency_ms=150,
            incidents=(Incident("outage", 2 * 3600.0, duration_s=(600.0, 1800.0)),),
            config={"reset_timeout_s": 20},
            mistuned="reset_timeout_s 20 against outages of up to 30 min",
        ),
        HostProcess(
            "api.crossref.org", "busy (10/s), outages of 10-20 min", 10.0, p_fail=0.002,
            latency_ms=120,
            incidents=(Incident("outage", 3 * 3600.0, duration_s=(600.0, 1200.0)),),
            config={"reset_timeout_s": 5},
            mistuned="reset_timeout_s 5 against outages of 10-20 min",
        ),
    )  # fmt: skip
    return Scenario(
        "long-outages",
        "outages of 10-60 min under short reset timeouts (5-20 s), at 0.05-10 calls/s",
        _DEFAULTS,
        hosts,
    )


def _mixed() -> Scenario:
    hosts = (
        HostProcess(
            "api.semanticscholar.org", "noise bursts of 3-8 failures and real outages (1-10 min)",
            5.0, p_fail=0.01, latency_ms=150,
            incidents=(
                Incident("burst", 300.0, calls=(3, 8), first_at=SPREAD),
                Incident("outage", 2400.0, duration_s=(60.0, 600.0), first_at=SPREAD),
            ),
            config={"fail_max": 3},
            mistuned="fail_max 3 opens on noise streaks (its outages are real)",
        ),
        HostProcess(
            "export.arxiv.org", "429 windows (Retry-After 60-300 s) and 3% background failures",
            2.0, p_fail=0.03, latency_ms=400,
            incidents=(Incident("throttle", 1500.0, duration_s=(60.0, 300.0), first_at=SPREAD),),
            config={"retry_after_cap_s": 30},
            mistuned="retry_after_cap_s 30 below the Retry-After the server sends",
        ),
        HostProcess(
            "api.core.ac.uk", "8% background failures and outages with slow recovery", 2.0,
            p_fail=0.08, latency_ms=300,
            incidents=(
                Incident(
                    "outage", 2 * 3600.0, duration_s=(300.0, 900.0), recovery_s=(300.0, 900.0)
                ),
            ),
        ),
        HostProcess(
            "eutils.ncbi.nlm.nih.gov", "short blips (5-30 s) and short noise bursts", 4.0,
            p_fail=0.003, latency_ms=250,
            incidents=(
                Incident("outage", 1200.0, duration_s=(5.0, 30.0), first_at=SPREAD),
                Incident("burst", 900.0, calls=(2, 4), first_at=SPREAD),
            ),
            config={"reset_timeout_s": 600},
            mistuned="reset_timeout_s 600 keeps a busy host blocked long after 30 s blips",
        ),
        HostProcess("api.crossref.org", "healthy control", 8.0, p_fail=0.002, latency_ms=120),
    )  # fmt: skip
    return Scenario("mixed", "hosts with more than one kind of trouble at once", _DEFAULTS, hosts)


SCENARIOS: dict[str, Callable[[], Scenario]] = {
    "crawl-night": _crawl_night,
    "outage": _outage,
    "rate-limited": _rate_limited,
    "flapping": _flapping,
    "down-whole-window": _down_whole_window,
    "fleet-incident": _fleet_incident,
    "many-independent": _many_independent,
    "idle-gaps": _idle_gaps,
    "blips": _blips,
    "long-outages": _long_outages,
    "mixed": _mixed,
}


def scenario(name: str) -> Scenario:
    """The scenario called ``name``.

    Raises:
        UsageError: no such scenario (the message lists them).
    """
    try:
        return SCENARIOS[name]()
    except KeyError:
        raise UsageError(
            f"unknown scenario {name!r}; expected one of {', '.join(SCENARIOS)}"
        ) from None
