"""The simulated fleets: hosts, their traffic and trouble, and the config they run with."""

from __future__ import annotations

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
    """

    kind: str
    every_s: float
    duration_s: tuple[float, float] = (0.0, 0.0)
    recovery_s: tuple[float, float] = (0.0, 0.0)
    calls: tuple[int, int] = (0, 0)


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


@dataclass(frozen=True)
class Scenario:
    """A named set of hosts and the breaker defaults they run with."""

    name: str
    description: str
    defaults: dict[str, float]
    hosts: tuple[HostProcess, ...]


_DEFAULTS = {"fail_max": 5, "reset_timeout_s": 60, "retry_after_cap_s": 900}


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


SCENARIOS: dict[str, Callable[[], Scenario]] = {
    "crawl-night": _crawl_night,
    "outage": _outage,
    "rate-limited": _rate_limited,
    "flapping": _flapping,
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
