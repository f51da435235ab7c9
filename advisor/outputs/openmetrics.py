"""Prometheus / OpenMetrics exposition of an analysis: per-breaker counters and gauges
labelled by host and role, for node_exporter's textfile collector (``export``) and for
``serve``'s ``/metrics``.

The text is written by ``prometheus_client`` (a custom collector yielding metric
families), never by hand: names, label escaping (host names are user data) and the two
formats are the library's. Counters count events of the analysis window and carry its
start as their ``_created`` time (OpenMetrics: "counted since"), so a moving window is
read as a gauge (``max_over_time``), not with ``rate()``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics
from prometheus_client.registry import Collector, CollectorRegistry

from advisor.model import Analysis, BreakerResult, HostResult
from advisor.outputs.files import atomic_write

PREFIX = "breaker_advisor_"
LABELS = ("host", "role")  # role "" is the host's own breaker
SETTING_LABELS = (*LABELS, "kind")  # kind: current | recommended

# (metric key, name after PREFIX, help): counts of the window, exposed as counters.
COUNTERS = (
    ("opens", "opens", "Transitions into open in the analysis window."),
    ("rejected", "refused_calls", "Calls the breaker refused in the analysis window."),
    ("calls", "calls", "Calls that reached the host in the analysis window."),
    ("failures", "failed_calls", "Calls recorded as failures in the analysis window."),
)
# Breaker settings (parameter, name after PREFIX, unit, help).
SETTINGS = (
    ("fail_max", "fail_max", "", "Consecutive failures before the breaker opens."),
    ("reset_timeout_s", "reset_timeout", "seconds", "Time open before a trial call."),
    ("success_threshold", "success_threshold", "", "Half-open trials that must succeed."),
    ("trial_calls", "trial_calls", "", "Trial calls let through while half-open."),
    ("retry_after_cap_s", "retry_after_cap", "seconds", "Longest Retry-After honoured."),
)


class ExportFormat(StrEnum):
    """The two text formats ``export`` writes."""

    openmetrics = "openmetrics"
    prometheus = "prometheus"


@dataclass(frozen=True)
class Breaker:
    """One exported breaker: its labels and its result."""

    labels: tuple[str, str]
    result: HostResult | BreakerResult


def breakers(analysis: Analysis) -> list[Breaker]:
    """One entry per breaker: a host's own (role ``""``) and each role's own breaker; a
    host listing its breakers is exported through them (its row is their sum)."""
    found: list[Breaker] = []
    for host in analysis.hosts:
        if host.breakers:
            found += [Breaker((host.host, b.role or ""), b) for b in host.breakers]
        else:
            found.append(Breaker((host.host, ""), host))
    return found


def _number(value: Any) -> float | None:
    """A finite number, else None (settings may be absent or text)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if value == value and abs(value) != float("inf") else None


def _recommended(result: HostResult | BreakerResult, parameter: str) -> Any:
    """The suggested value of ``parameter`` where advised, else the current one."""
    for rec in result.recommendations:
        if rec.parameter == parameter and rec.suggested is not None:
            return rec.suggested
    return result.current.get(parameter)


def _cost_saving(result: HostResult | BreakerResult) -> float:
    """Expected cost of today's setting minus the advised one's (wasted-call units); 0
    when nothing is advised from the decision model."""
    for rec in result.changes:
        cost = rec.evidence.get("expected_cost")
        if isinstance(cost, dict):
            current, suggested = _number(cost.get("current")), _number(cost.get("suggested"))
            if current is not None and suggested is not None:
                return current - suggested
    return 0.0


def metric_families(analysis: Analysis) -> list[Metric]:
    """The exported families of ``analysis`` (built once; a collector yields them)."""
    created = analysis.window.start.timestamp()
    found = breakers(analysis)
    families: list[Metric] = []
    for key, name, doc in COUNTERS:
        counter = CounterMetricFamily(PREFIX + name, doc, labels=LABELS)
        for b in found:
            counter.add_metric(b.labels, float(b.result.metrics.get(key) or 0), created=created)
        families.append(counter)
    ratio = GaugeMetricFamily(
        PREFIX + "open_time_ratio", "Share of active time the breaker was open.", labels=LABELS
    )
    open_s = GaugeMetricFamily(
        PREFIX + "open_time", "Time open in the analysis window.", labels=LABELS, unit="seconds"
    )
    active = GaugeMetricFamily(
        PREFIX + "active_time", "Active time (the host was called).", labels=LABELS,
        unit="seconds",
    )  # fmt: skip
    half_open = GaugeMetricFamily(
        PREFIX + "half_open_success_ratio",
        "Share of half-open trials that succeeded (absent without trials).",
        labels=LABELS,
    )
    saving = GaugeMetricFamily(
        PREFIX + "expected_cost_saving",
        "Expected cost of today's setting minus the advised one (wasted-call units).",
        labels=LABELS,
    )
    changes = GaugeMetricFamily(
        PREFIX + "recommended_changes", "Settings the advice would change.", labels=LABELS
    )
    for b in found:
        metrics = b.result.metrics
        seconds = float(metrics.get("open_time_s") or 0.0)
        active_s = _number(metrics.get("active_s"))
        open_s.add_metric(b.labels, seconds)
        if active_s is not None:
            active.add_metric(b.labels, active_s)
            ratio.add_metric(b.labels, min(1.0, seconds / active_s) if active_s else 0.0)
        rate = _number(metrics.get("half_open_success_rate"))
        if rate is not None:
            half_open.add_metric(b.labels, rate)
        saving.add_metric(b.labels, _cost_saving(b.result))
        changes.add_metric(b.labels, float(len(b.result.changes)))
    families += [ratio, open_s, active, half_open, saving, changes]
    families += list(_settings(found))
    return families


def _settings(found: Iterable[Breaker]) -> Iterator[Metric]:
    """One gauge per setting, ``kind="current"`` and ``kind="recommended"``."""
    for parameter, name, unit, doc in SETTINGS:
        family = GaugeMetricFamily(PREFIX + name, doc, labels=SETTING_LABELS, unit=unit)
        for b in found:
            current = _number(b.result.current.get(parameter))
            if current is None:
                continue
            family.add_metric([*b.labels, "current"], current)
            recommended = _number(_recommended(b.result, parameter))
            family.add_metric([*b.labels, "recommended"], current if recommended is None
                              else recommended)  # fmt: skip
        yield family


class FamiliesCollector(Collector):
    """A collector yielding metric families built beforehand (no work at scrape time)."""

    def __init__(self, families: Iterable[Metric] = ()) -> None:
        self.families = list(families)

    def collect(self) -> Iterable[Metric]:
        return list(self.families)


def exposition(analysis: Analysis, output_format: ExportFormat) -> bytes:
    """The analysis's metrics as OpenMetrics or Prometheus text."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FamiliesCollector(metric_families(analysis)))
    if output_format is ExportFormat.openmetrics:
        return bytes(generate_openmetrics(registry))  # type: ignore[no-untyped-call]
    return generate_latest(registry)


def write_exposition(analysis: Analysis, path: Path, output_format: ExportFormat) -> Path:
    """Write the exposition to ``path`` atomically (node_exporter never reads half a
    file); returns ``path``.

    Raises:
        UsageError: the file cannot be written.
    """
    return atomic_write(path, exposition(analysis, output_format), what="--out")
