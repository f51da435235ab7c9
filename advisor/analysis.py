"""One analysis run: sources -> events -> window metrics, and its outputs.

``analyze()`` is the public entry point; the returned ``Analysis`` renders the
JSON contract (``to_dict``/``to_json``) and keeps the DuckDB connection so the
derived relations can be queried further.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from advisor import queries
from advisor.breakers import BreakerKey, breaker_name, refresh, role_breakers, several, use_config
from advisor.config import BreakerConfig, load_config
from advisor.current import current_settings
from advisor.database import connect
from advisor.events import analysis_horizon, load_events
from advisor.metrics import breaker_metrics, compute_relations, host_metrics
from advisor.replay import attach_replay, load_breaker_timelines, load_timelines
from advisor.replay.timeline import Timeline
from advisor.rules import collect_evidence, load_rule_settings, recommend
from advisor.rules.engine import HostAdvice, advise
from advisor.rules.evidence import HostEvidence, collect_breaker_evidence
from advisor.rules.fleet_incident import Incident
from advisor.sources import Source, open_sources
from advisor.window import Window, iso_z, make_window, parse_until

if TYPE_CHECKING:  # pandas and plotly load only when a notebook asks for them
    import pandas as pd
    import plotly.graph_objects as go

SCHEMA_VERSION = 1


@dataclass
class BreakerResult:
    """One breaker of a host that has several (docs/design.md "Breakers"): the host's
    own (``role`` None) or a role's own breaker, with its metrics and its advice."""

    host: str
    role: str | None
    metrics: dict[str, Any]
    current: dict[str, Any] = field(default_factory=dict)
    recommendations: list[dict[str, Any]] = field(default_factory=list)
    current_origin: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    unchanged_reason: str | None = None

    @property
    def name(self) -> str:
        """``host``, or ``host:role`` for a role's own breaker."""
        return breaker_name(self.host, self.role)

    @property
    def changes(self) -> list[dict[str, Any]]:
        """Recommendations that change a value (not notes)."""
        return [r for r in self.recommendations if r["suggested"] != r["current"]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "breaker": self.name,
            "role": self.role,
            "metrics": self.metrics,
            "current": self.current,
            "current_origin": self.current_origin,
            "recommendations": self.recommendations,
            "unchanged_reason": self.unchanged_reason,
            "warnings": self.warnings,
        }


@dataclass
class HostResult:
    """What the advisor knows and says about one host. A host with a role's own breaker
    lists its ``breakers``; its metrics are then their sum, and its recommendations
    (the same list object), current values and unchanged reason its own breaker's."""

    host: str
    metrics: dict[str, Any]
    current: dict[str, Any] = field(default_factory=dict)
    recommendations: list[dict[str, Any]] = field(default_factory=list)
    current_origin: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    unchanged_reason: str | None = None  # trouble, and no breaker change: why
    breakers: list[BreakerResult] = field(default_factory=list)

    @property
    def changes(self) -> list[dict[str, Any]]:
        """Recommendations that change a value (not notes): the host's own breaker's."""
        return [r for r in self.recommendations if r["suggested"] != r["current"]]

    @property
    def role_breakers(self) -> list[BreakerResult]:
        """The breakers the host lists for a role (not its own)."""
        return [b for b in self.breakers if b.role is not None]

    def _repr_html_(self) -> str:
        rows = [
            [r["parameter"], r["current"], r["suggested"], r["confidence"], r["rule"],
             " ".join(r["reasons"])]
            for r in self.recommendations
        ]  # fmt: skip
        from advisor import explore

        return explore.html_table(
            self.host,
            ["parameter", "current", "suggested", "confidence", "rule", "why"],
            rows or [["-", "-", "-", "-", "-", "nothing to change"]],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "metrics": self.metrics,
            "current": self.current,
            "current_origin": self.current_origin,
            "recommendations": self.recommendations,
            "unchanged_reason": self.unchanged_reason,
            "warnings": self.warnings,
        } | ({"breakers": [b.to_dict() for b in self.breakers]} if self.breakers else {})


@dataclass
class Analysis:
    """The result of ``analyze``: window, sources, per-host results, warnings."""

    window: Window
    sources: list[Source]
    hosts: list[HostResult]
    notes: list[str]  # run-wide warnings that are not about one source
    generated_at: datetime
    con: duckdb.DuckDBPyConnection
    config: BreakerConfig
    settings: dict[str, Any]
    incidents: list[Incident] = field(default_factory=list)

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
            "sources": [_source_dict(s) for s in self.sources],
            "hosts": [h.to_dict() for h in self.hosts],
            "incidents": [i.to_dict() for i in self.incidents],
            "warnings": self.warnings,
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The contract as JSON text (what ``breaker-advise --format json`` prints)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    # --- DataFrames for notebooks -----------------------------------------------

    def sql(self, query: str, params: dict[str, Any] | list[Any] | None = None) -> pd.DataFrame:
        """Run SQL on the attached, normalised relations (``events``, ``open_intervals``,
        ``episodes``, ``half_open_trials``; sources as ``s0``, ``s1``...) -> DataFrame."""
        from advisor.frames import relation_frame

        return relation_frame(self.con, query, params)

    @property
    def metrics(self) -> pd.DataFrame:
        """One row per host (index), the contract's metric fields as columns."""
        from advisor.frames import metrics_frame

        return metrics_frame([h.to_dict() for h in self.hosts])

    @property
    def recommendations(self) -> pd.DataFrame:
        """One row per recommendation (and note), hosts in contract order."""
        from advisor.frames import recommendations_frame

        return recommendations_frame([h.to_dict() for h in self.hosts])

    @property
    def events(self) -> pd.DataFrame:
        """Every normalised event of the sources (all times, not only the window)."""
        return self.sql("SELECT * FROM events ORDER BY host, ts")

    @property
    def open_intervals(self) -> pd.DataFrame:
        """Stays in ``open`` overlapping the window (``in_window``, ``censored``...)."""
        return self.sql("SELECT * FROM open_intervals")

    @property
    def episodes(self) -> pd.DataFrame:
        """Outage episodes that began in the window."""
        return self.sql("SELECT * FROM episodes")

    @property
    def half_open_trials(self) -> pd.DataFrame:
        """Calls that reached a host while its breaker was half-open, in the window."""
        return self.sql("SELECT * FROM half_open_trials")

    # --- figures, report and rich display -----------------------------------------

    def timeline(self, host: str) -> go.Figure:
        """Plotly state timeline of one host (renders inline in Jupyter)."""
        from advisor import explore

        return explore.timeline(self, host)

    def fleet_heatmap(self) -> go.Figure:
        """Plotly heat map of opens per host over time."""
        from advisor import explore

        return explore.fleet_heatmap(self)

    def fleet_timeline(self) -> go.Figure:
        """Plotly state timelines of the hosts that need attention."""
        from advisor import explore

        return explore.fleet_timeline(self)

    def report(self, path: str | Path) -> Path:
        """Write the self-contained HTML tuning report to ``path``."""
        from advisor.report import save_report

        return Path(save_report(self, path))

    save_html = report

    def _repr_html_(self) -> str:
        window = self.window.to_dict()
        rows = [
            [
                h.host,
                h.metrics["calls"],
                h.metrics["opens"],
                f"{h.metrics['open_time_s']:.0f} s",
                "; ".join(f"{r['parameter']} {r['current']} → {r['suggested']}" for r in h.changes)
                or "-",
            ]
            for h in self.attention_order()
        ]
        caption = (
            f"{window['start']} .. {window['end']}: {len(self.hosts)} hosts, "
            f"{sum(len(h.changes) for h in self.hosts)} suggested changes"
        )
        from advisor import explore

        return explore.html_table(caption, ["host", "calls", "opens", "open time", "advice"], rows)


def _source_dict(source: Source) -> dict[str, Any]:
    warnings = list(source.warnings)
    if source.error:
        warnings.insert(0, f"not analysed: {source.error}")
    return {
        "path": source.path,
        "tables": sorted(source.tables),
        "events": source.events,
        "skipped": source.skipped,
        "warnings": warnings,
    }


def analyze(
    sources: Sequence[str | Path] | str | Path,
    *,
    window_s: float = 3600,
    until: str | float | datetime | None = "now",
    hosts: Sequence[str] | None = None,
    config: str | Path | BreakerConfig | None = None,
    rules: str | Path | None = None,
    lost_weight: float | None = None,
) -> Analysis:
    """Read the manifests in ``sources``, compute per-host metrics over the window and
    recommend settings.

    Args:
        sources: files, directories or globs of manifest SQLite files.
        window_s: window length in seconds.
        until: window end: ``now``, ``latest``, ISO-8601 or epoch seconds.
        hosts: only these hosts (case-insensitive); all when None.
        config: the current ``breakers.yaml`` (path) or a loaded ``BreakerConfig``; when
            None, ``$DOCSTOKG_BREAKERS_YAML`` and the other environment overlays.
        rules: YAML file overriding rule thresholds (``advisor/rules/defaults.yaml``).
        lost_weight: weight of a refused healthy call against a wasted one (default 0.5).

    Raises:
        NoSourcesError: nothing matched ``sources``.
        UsageError: bad ``window_s`` or ``until``.
        ConfigError: malformed configuration or rules file.
    """
    if isinstance(sources, str | Path):
        sources = [sources]
    breaker_config = config if isinstance(config, BreakerConfig) else load_config(config)
    settings = load_rule_settings(rules, lost_weight=lost_weight)
    con = connect()
    use_config(con, breaker_config)  # roles with a breaker of their own, for the events
    found = open_sources(con, sources)
    load_events(con, found, analysis_horizon(until))  # later rows are bad rows (issue 13)
    latest = con.execute(queries.load("latest_event")).fetchone()[0]
    window = make_window(window_s, parse_until(until, latest))
    return analyze_window(con, window, found, hosts=hosts, config=breaker_config, settings=settings)


def analyze_window(
    con: duckdb.DuckDBPyConnection,
    window: Window,
    sources: list[Source],
    *,
    hosts: Sequence[str] | None = None,
    config: BreakerConfig,
    settings: dict[str, Any],
    generated_at: datetime | None = None,
    replay: bool = True,
) -> Analysis:
    """Metrics, evidence and advice for ``window`` over the ``events`` already in ``con``
    (filled from sources by ``analyze``, or from the history store by the nightly job);
    ``replay`` back-tests the advice on the recorded calls (``attach_replay``).

    A host with a role's own breaker (docs/design.md "Breakers") is advised breaker by
    breaker: each from its own evidence, with its own current settings
    (``config.effective(host, role)``); its row sums them and lists them."""
    if use_config(con, config):  # events finalised without this configuration's breakers
        refresh(con)
    compute_relations(con, window)
    # Filters only filter: every host is analysed (fleet incidents, the decision model),
    # and ``hosts`` picks what is returned.
    metrics = host_metrics(con, window)
    limits = {h: _gap_limit(config, h) for h in metrics}
    evidence = collect_evidence(con, window, metrics, settings, gap_limits=limits)
    for host, values in metrics.items():
        values["active_s"] = round(evidence[host].active_s, 3)
    split = _Breakers.collect(con, window, config, settings)
    troubled = [
        h for h, ev in evidence.items() if ev.failures and not config.disabled and h not in split
    ]
    timelines = load_timelines(con, window, troubled) if troubled else {}
    for host, timeline in timelines.items():
        evidence[host].timeline = timeline
    currents, origins = {}, {}
    for host in metrics:
        own = split.evidence.get((host, None)) if host in split else evidence[host]
        currents[host], origins[host] = current_settings(config, host, own)
    advice, incidents = recommend(
        evidence,
        currents,
        settings,
        disabled=config.disabled,
        only=[h for h in metrics if h not in split],
    )
    split.advise(settings, config, incidents)
    wanted = {h.strip().lower() for h in hosts} if hosts else None
    results = []
    for host, values in metrics.items():
        if wanted is not None and host not in wanted:
            continue
        result = HostResult(host=host, metrics=values, current=currents[host])
        result.current_origin = origins[host]
        if host in split:
            result.breakers = split.results(host)
            own_breaker = next((b for b in result.breakers if b.role is None), None)
            if own_breaker is not None:  # one list: a veto edits both in place
                result.recommendations = own_breaker.recommendations
                result.unchanged_reason = own_breaker.unchanged_reason
        else:
            result.recommendations = advice[host].recommendations
            result.unchanged_reason = advice[host].unchanged
        if evidence[host].early_probes:
            result.warnings.append(_early_probes(evidence[host].early_probes))
        results.append(result)
    notes = []
    if config.disabled:
        notes.append(
            "breakers are disabled (DOCSTOKG_BREAKER_DISABLED): no breaker changes suggested"
        )
    notes.extend(incident.describe() for incident in incidents)
    analysis = Analysis(
        window=window,
        sources=sources,
        hosts=results,
        notes=notes,
        generated_at=generated_at or datetime.now(UTC),
        con=con,
        config=config,
        settings=settings,
        incidents=incidents,
    )
    if replay:  # back-test each breaker change on the recorded traffic
        attach_replay(analysis, timelines, split.timelines)
    return analysis


def _gap_limit(config: BreakerConfig, host: str, role: str | None = None) -> float:
    """The longest gap between calls that still counts as active time (docs/design.md)."""
    return max(600.0, 2.0 * float(config.effective(host, role).reset_timeout_s or 0))


def _early_probes(count: int) -> str:
    return f"{count} half-open probes were sent before the server's Retry-After deadline"


@dataclass
class _Breakers:
    """The breakers of the hosts that have a role's own breaker in the window, each
    with its metrics, evidence, recorded timeline, current settings and advice."""

    metrics: dict[BreakerKey, dict[str, Any]]
    evidence: dict[BreakerKey, HostEvidence]
    timelines: dict[BreakerKey, Timeline]
    roles: dict[str, list[str | None]]  # host -> its breakers' roles, its own first
    currents: dict[BreakerKey, tuple[dict[str, Any], dict[str, str]]] = field(default_factory=dict)
    advice: dict[BreakerKey, HostAdvice] = field(default_factory=dict)

    def __contains__(self, host: object) -> bool:
        return host in self.roles

    @classmethod
    def collect(
        cls,
        con: duckdb.DuckDBPyConnection,
        window: Window,
        config: BreakerConfig,
        settings: dict[str, Any],
    ) -> _Breakers:
        candidates = sorted(role_breakers(con))  # hosts with a role's breaker in some run
        found = breaker_metrics(con, window, candidates) if candidates else {}
        roles = several(found)
        metrics = {key: m for key, m in found.items() if key[0] in roles}
        if not metrics:
            return cls({}, {}, {}, {})
        limits = {(h, r): _gap_limit(config, h, r) for h, r in metrics}
        evidence = collect_breaker_evidence(con, window, metrics, settings, gap_limits=limits)
        for key, values in metrics.items():
            values["active_s"] = round(evidence[key].active_s, 3)
        troubled = [k for k, ev in evidence.items() if ev.failures and not config.disabled]
        timelines = load_breaker_timelines(con, window, troubled) if troubled else {}
        for key, timeline in timelines.items():
            evidence[key].timeline = timeline
        currents = {
            (h, r): current_settings(config, h, evidence[(h, r)], role=r) for h, r in metrics
        }
        return cls(metrics, evidence, timelines, roles, currents)

    def advise(
        self, settings: dict[str, Any], config: BreakerConfig, incidents: list[Incident]
    ) -> None:
        """Each breaker's advice: the same engine, with the fleet incidents of the hosts."""
        currents = {key: values for key, (values, _) in self.currents.items()}
        self.advice = advise(
            self.evidence, currents, settings, disabled=config.disabled, incidents=incidents
        )

    def results(self, host: str) -> list[BreakerResult]:
        found = []
        for role in self.roles[host]:
            key = (host, role)
            current, origin = self.currents[key]
            result = BreakerResult(
                host=host,
                role=role,
                metrics=self.metrics[key],
                current=current,
                current_origin=origin,
                recommendations=self.advice[key].recommendations,
                unchanged_reason=self.advice[key].unchanged,
            )
            if self.evidence[key].early_probes:
                result.warnings.append(_early_probes(self.evidence[key].early_probes))
            found.append(result)
        return found
