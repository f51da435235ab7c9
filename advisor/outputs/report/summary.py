"""The report's words and tables, taken from the JSON contract in the report data.

Every number shown comes from the document's ``contract`` (``analysis.to_dict()``), so
the page and ``breaker-advise --format json`` always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from advisor.model import Recommendation
from advisor.outputs.report import actions as act
from advisor.outputs.report.evidence import Evidence, Row, evidence_of, front_rows
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
    open_fraction: float  # of open_basis: the host's active time (docs/design.md)
    unchanged_reason: str | None = None
    open_basis: str = "active time"  # "the window" for a document without active_s
    role_changes: list[tuple[str, list[Recommendation]]] = field(default_factory=list)
    trade: dict[str, Any] | None = None  # the replayed trade-off points (report data)
    charts: list[Any] = field(default_factory=list)
    more_charts: list[Any] = field(default_factory=list)  # drawn when asked for (opened)
    brief: bool = False  # a nightly page shows the host as one line (render.brief_hosts)
    notes: list[str] = field(default_factory=list)
    scope: str = "host"  # "resolver": a resolver's own breaker, keyed by its name

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

    def evidence(self, rec: Recommendation) -> Evidence:
        """``rec``'s evidence in plain words and before/after tables (``evidence_of``)."""
        return evidence_of(rec, self.current, self.recommendations, self.trade)

    @property
    def trade_rows(self) -> list[Row]:
        """The host's replayed trade-off points (for a host with a breaker change)."""
        return front_rows(self.trade)

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
            ("open time", f"{duration(m['open_time_s'])} ({pct(self.open_fraction)} of "
                          f"its {self.open_basis})"),
            ("active time", f"{duration(m.get('active_s'))} (first to last call, without "
                            "idle gaps)"),
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


INCIDENT = "fleet incident "  # how FleetIncident.describe() starts (shown linked instead)


@dataclass(frozen=True)
class Incident:
    """A fleet incident (its contract entry) with its hosts' views (linked on the page)
    and the names of those this report does not show (``--host``)."""

    item: dict[str, Any]
    hosts: list[HostView]
    unlisted: list[str]

    @property
    def span_s(self) -> float:
        start, end = (datetime.fromisoformat(self.item[k]) for k in ("start", "end"))
        return (end - start).total_seconds()


@dataclass
class Summary:
    """Everything above the charts: window, sources, counts, headline, host rows."""

    generated_at: str  # when the report was made (the report data's, else the contract's)
    start: datetime
    end: datetime
    window: dict[str, Any]
    sources: list[dict[str, Any]]
    warnings: list[str]
    hosts: list[HostView]
    headline: str
    counts: dict[str, int | float]
    contract: dict[str, Any]
    actions: list[act.Action] = field(default_factory=list)
    why_not: list[act.WhyNot] = field(default_factory=list)
    patch: str = ""
    reproduce: act.Reproduce | None = None
    nightly: dict[str, Any] | None = None  # the nightly job's statuses, when there are
    incidents: list[Incident] = field(default_factory=list)
    lost_weight: float | None = None  # of the cost (wasted + w * refused)

    @property
    def changing(self) -> list[HostView]:
        return [h for h in self.hosts if h.changes or any(r for _, r in h.role_changes)]


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
    trade_offs = data.get("trade_offs") or {}
    views = []
    for index, item in enumerate(attention_order(contract["hosts"])):
        metrics = item["metrics"]
        roles = [
            (str(b["breaker"]), [Recommendation.from_dict(r) for r in b["recommendations"]])
            for b in item.get("breakers", [])
            if b["role"] is not None
        ]
        views.append(
            HostView(
                index=index,
                host=item["host"],
                metrics=metrics,
                current=dict(item.get("current") or {}),
                current_origin=dict(item.get("current_origin") or {}),
                recommendations=[Recommendation.from_dict(r) for r in item["recommendations"]],
                warnings=[str(w) for w in item.get("warnings", [])],
                # at most 1: an open stretch with no attempts, or two breakers open at
                # once, can hold a host open longer than its attempts were active
                open_fraction=min(
                    1.0, metrics["open_time_s"] / (metrics.get("active_s") or seconds)
                ),
                unchanged_reason=item.get("unchanged_reason"),
                open_basis="active time" if metrics.get("active_s") else "window",
                scope=str(item.get("scope") or "host"),
                role_changes=[
                    (name, recs) for name, recs in roles if any(r.is_change for r in recs)
                ],
                trade=trade_offs.get(item["host"]),
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
    nightly = data.get("nightly")
    statuses = {(a["host"], a["parameter"]): a["status"] for a in (nightly or {}).get("advice", [])}
    by_name = {h.host: h for h in views}
    incidents = [
        Incident(
            item,
            [by_name[n] for n in item["hosts"] if n in by_name],
            [n for n in item["hosts"] if n not in by_name],
        )  # fmt: skip
        for item in contract.get("incidents", [])
    ]
    return Summary(
        generated_at=str(data.get("generated_at") or contract["generated_at"]),
        start=datetime.fromisoformat(contract["window"]["start"]),
        end=datetime.fromisoformat(contract["window"]["end"]),
        window=contract["window"],
        sources=contract["sources"],
        warnings=[w for w in contract["warnings"] if not (incidents and w.startswith(INCIDENT))],
        hosts=views,
        headline=headline(views),
        counts=counts,
        contract=contract,
        actions=act.actions(views, statuses),
        why_not=act.why_not(views),
        patch=act.patch(contract),
        reproduce=act.reproduce(data),
        nightly=nightly,
        incidents=incidents,
        lost_weight=(data.get("reproduce") or {}).get("lost_weight")
        or next((t.get("lost_weight") for t in trade_offs.values()), None),
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
