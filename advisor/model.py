"""The result types every layer shares: sources, breakers, hosts, fleet incidents and
the analysis itself, as data with ``to_dict`` for the JSON contract (docs/design.md).

Nothing here imports a layer above (ingest, metrics, advice, pipeline, outputs): the
pipeline fills these, the outputs render them, the nightly job stores them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from advisor.config import BreakerConfig
from advisor.rates import format_rate_spec
from advisor.rule_settings import RuleSettings
from advisor.text import html_table
from advisor.window import Window, iso_z

if TYPE_CHECKING:
    import duckdb

SCHEMA_VERSION = 1

BreakerKey = tuple[str, str | None]
"""(host, role): role None is the host's own breaker."""


HOST_SCOPE, RESOLVER_SCOPE = "host", "resolver"
"""A breaker's ``scope``: a host's, or a resolver's (keyed by the resolver's name)."""


def breaker_name(host: str, role: str | None) -> str:
    """``host`` for the host's own breaker, ``host:role`` for a role's own breaker."""
    return host if role is None else f"{host}:{role}"


@dataclass
class Source:
    """One manifest file: where it is, what it holds, and what went wrong reading it."""

    path: str
    alias: str = ""
    tables: dict[str, str] = field(default_factory=dict)  # table name -> layout
    columns: dict[str, dict[str, str]] = field(default_factory=dict)  # table -> {column: type}
    # table -> {column: DuckDB type the sqlite scanner reads it as}, filled by ``attach``
    scan_types: dict[str, dict[str, str]] = field(default_factory=dict)
    error: str | None = None
    # the file actually read: ``path``, or a private snapshot of a finished WAL manifest
    read_path: str = ""
    events: int = 0
    skipped: int = 0
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.read_path = self.read_path or self.path

    @property
    def readable(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        """The contract's ``sources[]`` entry: an unreadable source's error first."""
        warnings = list(self.warnings)
        if self.error:
            warnings.insert(0, f"not analysed: {self.error}")
        return {
            "path": self.path,
            "tables": sorted(self.tables),
            "events": self.events,
            "skipped": self.skipped,
            "warnings": warnings,
        }


@dataclass
class FleetIncident:
    """Opens of ``hosts`` between ``start`` and ``end``; ``p_value`` of that many by
    chance (already multiplied by the number of spans scanned)."""

    start: datetime
    end: datetime
    hosts: list[str]
    active_hosts: int = 0
    p_value: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": iso_z(self.start),
            "end": iso_z(self.end),
            "hosts": self.hosts,
            "active_hosts": self.active_hosts,
            "p_value": float(f"{self.p_value:.3g}"),
        }

    @classmethod
    def from_dict(cls, item: Mapping[str, Any]) -> FleetIncident:
        """An incident read back from its contract entry (the cache)."""
        return cls(
            start=datetime.fromisoformat(item["start"]),
            end=datetime.fromisoformat(item["end"]),
            hosts=list(item["hosts"]),
            active_hosts=item["active_hosts"],
            p_value=item["p_value"],
        )

    def describe(self) -> str:
        return (
            f"fleet incident {iso_z(self.start)}: {len(self.hosts)} of {self.active_hosts} "
            f"active hosts opened within {(self.end - self.start).total_seconds():.0f} s "
            f"({', '.join(self.hosts)}); by chance p = {self.p_value:.2g}: likely the "
            "caller's network, DNS or proxy, not each host; those episodes are left out of "
            "tuning"
        )


CONFIDENCES = ("high", "medium", "low")


@dataclass(frozen=True)
class Recommendation:
    """One entry of a host's (or breaker's) ``recommendations``: a new value for one
    parameter, or a note that keeps it (``suggested == current``), with the rule, the
    confidence, the reasons in words and the numbers behind them."""

    parameter: str
    current: Any
    suggested: Any
    confidence: str
    rule: str
    reasons: tuple[str, ...] = ()
    evidence: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_change(self) -> bool:
        """A new value, not a note that keeps the current one."""
        return self.suggested is not None and self.suggested != self.current

    @property
    def confidence_class(self) -> str:
        """CSS class of the confidence badge (only known values reach markup)."""
        return f"confidence-{self.confidence}" if self.confidence in CONFIDENCES else "confidence"

    @property
    def rate_spec(self) -> str | None:
        """A ``rate_limit`` suggestion (``"0.333/s"``) as the deployment guide's
        ``--rate`` spec (``"1/3s"``); None for every other parameter."""
        if self.parameter != "rate_limit" or not isinstance(self.suggested, str):
            return None
        try:
            return format_rate_spec(float(self.suggested.removesuffix("/s")))
        except ValueError:
            return None

    def with_evidence(self, key: str, value: Any) -> Recommendation:
        """A copy whose evidence also holds ``key`` (last, as the contract lists it)."""
        return replace(self, evidence={**self.evidence, key: value})

    def to_dict(self) -> dict[str, Any]:
        """The contract's entry (docs/design.md "Output contract"); a ``rate_limit``
        entry also has ``rate_spec``."""
        entry = {
            "parameter": self.parameter,
            "current": self.current,
            "suggested": self.suggested,
            "confidence": self.confidence,
            "rule": self.rule,
            "reasons": list(self.reasons),
            "evidence": dict(self.evidence),
        }
        if self.rate_spec is not None:
            entry["rate_spec"] = self.rate_spec
        return entry

    @classmethod
    def from_dict(cls, item: Mapping[str, Any]) -> Recommendation:
        """An entry read back from the contract (a saved report, the nightly store)."""
        return cls(
            parameter=str(item.get("parameter", "")),
            current=item.get("current"),
            suggested=item.get("suggested"),
            confidence=str(item.get("confidence", "")),
            rule=str(item.get("rule", "")),
            reasons=tuple(str(r) for r in item.get("reasons", [])),
            evidence=dict(item.get("evidence") or {}),
        )


def changes(recommendations: Sequence[Recommendation]) -> list[Recommendation]:
    """Recommendations that change a value (not notes)."""
    return [r for r in recommendations if r.suggested != r.current]


@dataclass
class BreakerResult:
    """One breaker of a host that has several (docs/design.md "Breakers"): the host's
    own (``role`` None) or a role's own breaker, with its metrics and its advice."""

    host: str
    role: str | None
    metrics: dict[str, Any]
    current: dict[str, Any] = field(default_factory=dict)
    recommendations: list[Recommendation] = field(default_factory=list)
    current_origin: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    unchanged_reason: str | None = None
    scope: str = HOST_SCOPE  # "resolver": a resolver's breaker, ``host`` its name

    @property
    def name(self) -> str:
        """``host``, or ``host:role`` for a role's own breaker."""
        return breaker_name(self.host, self.role)

    @property
    def changes(self) -> list[Recommendation]:
        """Recommendations that change a value (not notes)."""
        return changes(self.recommendations)

    def to_dict(self) -> dict[str, Any]:
        return {"breaker": self.name, "role": self.role, "scope": self.scope} | _advice_dict(self)


@dataclass
class HostResult:
    """What the advisor knows and says about one host. A host with a role's own breaker
    lists its ``breakers``; its metrics are then their sum, and its recommendations
    (the same list object), current values and unchanged reason its own breaker's."""

    host: str
    metrics: dict[str, Any]
    current: dict[str, Any] = field(default_factory=dict)
    recommendations: list[Recommendation] = field(default_factory=list)
    current_origin: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    unchanged_reason: str | None = None  # trouble, and no breaker change: why
    breakers: list[BreakerResult] = field(default_factory=list)
    # ``--by role``: its own breaker's calls per role, ``[{role, calls, failures, refused}]``
    roles: list[dict[str, Any]] | None = None
    scope: str = HOST_SCOPE  # "resolver": a resolver's breaker, ``host`` its name

    @property
    def label(self) -> str:
        """The host as the table names it: ``crossref (resolver)`` for a resolver's."""
        return self.host if self.scope == HOST_SCOPE else f"{self.host} ({self.scope})"

    @property
    def changes(self) -> list[Recommendation]:
        """Recommendations that change a value (not notes): the host's own breaker's."""
        return changes(self.recommendations)

    @property
    def role_breakers(self) -> list[BreakerResult]:
        """The breakers the host lists for a role (not its own)."""
        return [b for b in self.breakers if b.role is not None]

    def _repr_html_(self) -> str:
        rows = [
            [r.parameter, r.current, r.suggested, r.confidence, r.rule, " ".join(r.reasons)]
            for r in self.recommendations
        ]  # fmt: skip
        return html_table(
            self.host,
            ["parameter", "current", "suggested", "confidence", "rule", "why"],
            rows or [["-", "-", "-", "-", "-", "nothing to change"]],
        )

    def to_dict(self) -> dict[str, Any]:
        return (
            {"host": self.host, "scope": self.scope}
            | _advice_dict(self)
            | ({"breakers": [b.to_dict() for b in self.breakers]} if self.breakers else {})
            | ({"roles": self.roles} if self.roles is not None else {})
        )

    @classmethod
    def from_dict(cls, item: Mapping[str, Any]) -> HostResult:
        """A host's result read back from its contract entry (the cache)."""
        scope = str(item.get("scope", HOST_SCOPE))  # absent before scope was added
        breakers = [
            BreakerResult(host=item["host"], role=b["role"], scope=scope, **_advice_fields(b))
            for b in item.get("breakers", [])
        ]
        roles = item.get("roles")
        return cls(
            host=item["host"], breakers=breakers, roles=roles, scope=scope, **_advice_fields(item)
        )


def _advice_fields(item: Mapping[str, Any]) -> dict[str, Any]:
    """The fields a host and a breaker share, from a contract entry (``_advice_dict``'s
    inverse)."""
    return {
        "metrics": item["metrics"],
        "current": item["current"],
        "current_origin": item["current_origin"],
        "recommendations": [Recommendation.from_dict(r) for r in item["recommendations"]],
        "unchanged_reason": item["unchanged_reason"],
        "warnings": list(item["warnings"]),
    }


def _advice_dict(result: HostResult | BreakerResult) -> dict[str, Any]:
    return {
        "metrics": result.metrics,
        "current": result.current,
        "current_origin": result.current_origin,
        "recommendations": [r.to_dict() for r in result.recommendations],
        "unchanged_reason": result.unchanged_reason,
        "warnings": result.warnings,
    }


@dataclass
class Analysis:
    """The result of an analysis: window, sources, per-host results, warnings; ``con``
    holds the normalised relations (``events``, ``open_intervals``...) for further SQL."""

    window: Window
    sources: list[Source]
    hosts: list[HostResult]
    notes: list[str]  # run-wide warnings that are not about one source
    generated_at: datetime
    con: duckdb.DuckDBPyConnection
    config: BreakerConfig
    settings: RuleSettings
    incidents: list[FleetIncident] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        """Every run-wide warning: unreadable sources first, then the notes."""
        unreadable = [f"{s.path}: not analysed: {s.error}" for s in self.unreadable_sources]
        return unreadable + self.notes

    @property
    def unreadable_sources(self) -> list[Source]:
        return [s for s in self.sources if not s.readable]

    def attention_order(self) -> list[HostResult]:
        """Hosts sorted by how much attention they need: changes, open time, failures."""
        return sorted(
            self.hosts,
            key=lambda h: (
                -len(h.changes) - sum(len(b.changes) for b in h.role_breakers),
                -h.metrics["open_time_s"],
                -h.metrics["opens"],
                -h.metrics["failure_rate"],
                h.host,
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of docs/design.md as plain Python values."""
        return {
            "schema_version": SCHEMA_VERSION,
            "generated_at": iso_z(self.generated_at.replace(microsecond=0)),
            "window": self.window.to_dict(),
            "sources": [s.to_dict() for s in self.sources],
            "hosts": [h.to_dict() for h in self.hosts],
            "incidents": [i.to_dict() for i in self.incidents],
            "warnings": self.warnings,
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The contract as JSON text (what ``breaker-advise --format json`` prints)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)
