"""The report's words and tables, taken from the JSON contract in the report data.

Every number shown comes from the document's ``contract`` (``analysis.to_dict()``), so
the page and ``breaker-advise --format json`` always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from advisor.model import Recommendation
from advisor.outputs.report.formatting import count, duration, pct, value


@dataclass
class HostView:
    """One host as the page shows it; ``anchor`` is derived from its position only."""

    index: int
    host: str
    metrics: dict[str, Any]
    current: dict[str, Any]
    current_origin: dict[str, str]
    recommendations: list[Recommendation]
    warnings: list[str]
    open_fraction: float  # of the host's active time (docs/design.md)
    unchanged_reason: str | None = None
    charts: list[Any] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"host-{self.index}"

    @property
    def changes(self) -> list[Recommendation]:
        return [r for r in self.recommendations if r.is_change]

    @property
    def failure_rate(self) -> float | None:
        """Failures / (successes + failures); None when neither happened."""
        m = self.metrics
        return m["failure_rate"] if m["successes"] + m["failures"] else None

    def metric_rows(self) -> list[tuple[str, str]]:
        """The contract metrics as (label, text) rows."""
        m = self.metrics
        od, ed, ra = m["open_duration_s"], m["episode_duration_s"], m["retry_after_s"]
        return [
            ("calls", f"{count(m['calls'])} ({count(m['successes'])} ok, "
                      f"{count(m['failures'])} failed)"),
            ("refused by the breaker", count(m["rejected"])),
            ("failure rate", pct(self.failure_rate)),
            ("429 / 5xx / timeouts",
             f"{count(m['status_429'])} / {count(m['status_5xx'])} / {count(m['timeouts'])}"),
            ("opens", count(m["opens"])),
            ("open time", f"{duration(m['open_time_s'])} ({pct(self.open_fraction)})"),
            ("open stay p50 / p90 / max", _triple(od)),
            ("episodes", count(m["episodes"])),
            ("episode p50 / p90 / max", _triple(ed)),
            ("half-open trials", f"{count(m['half_open_trials'])} "
             f"({count(m['half_open_successes'])} ok, {count(m['half_open_failures'])} failed,"
             f" {pct(m['half_open_success_rate'])} success)"),
            ("Retry-After seen", count(ra["count"])),
            ("Retry-After p50 / p90 / max", _triple(ra)),
        ]  # fmt: skip

    def setting_rows(self) -> list[tuple[str, str, str]]:
        """The effective configuration: (setting, value, where it came from)."""
        return [
            (key, value(item), self.current_origin.get(key, ""))
            for key, item in self.current.items()
        ]

    def setting(self, parameter: str) -> tuple[Any, Any]:
        """``(current, suggested)`` of a breaker setting; suggested is None without a change."""
        current = self.current.get(parameter)
        suggested = None
        for rec in self.recommendations:
            if rec.parameter == parameter:
                current = rec.current if current is None else current
                suggested = rec.suggested if rec.is_change else None
        return current, suggested


@dataclass
class Summary:
    """Everything above the charts: window, sources, counts, headline, host rows."""

    generated_at: str
    start: datetime
    end: datetime
    window: dict[str, Any]
    sources: list[dict[str, Any]]
    warnings: list[str]
    hosts: list[HostView]
    headline: str
    counts: dict[str, int | float]
    contract: dict[str, Any]

    @property
    def changing(self) -> list[HostView]:
        return [h for h in self.hosts if h.changes]


def _changes(item: dict[str, Any]) -> int:
    return sum(1 for r in item["recommendations"] if r["suggested"] != r["current"])


def attention_order(hosts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The contract's hosts sorted by how much attention they need: changes (of the host
    and of its role breakers), open time, opens, failure rate, then name."""
    return sorted(
        hosts,
        key=lambda h: (
            -_changes(h) - sum(_changes(b) for b in h.get("breakers", []) if b["role"]),
            -h["metrics"]["open_time_s"],
            -h["metrics"]["opens"],
            -h["metrics"]["failure_rate"],
            h["host"],
        ),
    )


def summarize(data: dict[str, Any]) -> Summary:
    """The summary of a report-data document, hosts in attention order (changes first)."""
    contract = data["contract"]
    seconds = float(contract["window"]["seconds"]) or 1.0
    views = []
    for index, item in enumerate(attention_order(contract["hosts"])):
        metrics = item["metrics"]
        views.append(
            HostView(
                index=index,
                host=item["host"],
                metrics=metrics,
                current=dict(item.get("current") or {}),
                current_origin=dict(item.get("current_origin") or {}),
                recommendations=[Recommendation.from_dict(r) for r in item["recommendations"]],
                warnings=[str(w) for w in item.get("warnings", [])],
                open_fraction=metrics["open_time_s"] / (metrics.get("active_s") or seconds),
                unchanged_reason=item.get("unchanged_reason"),
            )
        )
    metrics = [h.metrics for h in views]
    counts = {
        "hosts": len(views),
        "sources": len(contract["sources"]),
        "sources_read": len(contract["sources"]) - len(data["unreadable_sources"]),
        "events": sum(s["events"] for s in contract["sources"]),
        "skipped": sum(s["skipped"] for s in contract["sources"]),
        "calls": sum(m["calls"] for m in metrics),
        "failures": sum(m["failures"] for m in metrics),
        "rejected": sum(m["rejected"] for m in metrics),
        "opens": sum(m["opens"] for m in metrics),
        "episodes": sum(m["episodes"] for m in metrics),
        "changes": sum(len(h.changes) for h in views),
    }
    return Summary(
        generated_at=contract["generated_at"],
        start=datetime.fromisoformat(contract["window"]["start"]),
        end=datetime.fromisoformat(contract["window"]["end"]),
        window=contract["window"],
        sources=contract["sources"],
        warnings=list(contract["warnings"]),
        hosts=views,
        headline=headline(views),
        counts=counts,
        contract=contract,
    )


def _triple(stats: dict[str, Any]) -> str:
    return " / ".join(duration(stats[k]) for k in ("p50", "p90", "max"))


def headline(hosts: list[HostView]) -> str:
    """One plain sentence: how many hosts need changes, and the worst-hit host."""
    if not hosts:
        return "No breaker telemetry in this window."
    changing = sum(1 for h in hosts if h.changes)
    if changing == 0:
        first = "No host needs a change"
    elif changing == 1:
        first = "1 host needs changes"
    else:
        first = f"{changing} hosts need changes"
    worst = max(hosts, key=lambda h: (h.open_fraction, h.metrics["opens"]))
    if worst.open_fraction <= 0:
        return f"{first}; no breaker opened in this window."
    share = pct(worst.open_fraction)
    return f"{first}; {worst.host} was cut off by its breaker {share} of its active time."
