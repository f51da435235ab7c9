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
from advisor.config import BreakerConfig, load_config
from advisor.current import current_settings
from advisor.database import connect
from advisor.events import analysis_horizon, load_events
from advisor.metrics import compute_relations, host_metrics
from advisor.replay import attach_replay, load_timelines
from advisor.rules import collect_evidence, load_rule_settings, recommend
from advisor.rules.fleet_incident import Incident
from advisor.sources import Source, open_sources
from advisor.window import Window, iso_z, make_window, parse_until

if TYPE_CHECKING:  # pandas and plotly load only when a notebook asks for them
    import pandas as pd
    import plotly.graph_objects as go

SCHEMA_VERSION = 1


@dataclass
class HostResult:
    """What the advisor knows and says about one host."""

    host: str
    metrics: dict[str, Any]
    current: dict[str, Any] = field(default_factory=dict)
    recommendations: list[dict[str, Any]] = field(default_factory=list)
    current_origin: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    unchanged_reason: str | None = None  # trouble, and no breaker change: why

    @property
    def changes(self) -> list[dict[str, Any]]:
        """Recommendations that change a value (not notes)."""
        return [r for r in self.recommendations if r["suggested"] != r["current"]]

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
        }


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
                -len(h.changes),
                -h.metrics["open_time_s"],
                -h.metrics["opens"],
                -h.metrics["failure_rate"],
                h.host,
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of DESIGN.md as plain Python values."""
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
    ``replay`` back-tests the advice on the recorded calls (``attach_replay``)."""
    compute_relations(con, window)
    # Filters only filter: every host is analysed (fleet incidents, the decision model),
    # and ``hosts`` picks what is returned.
    metrics = host_metrics(con, window)
    limits = {h: max(600.0, 2.0 * float(config.effective(h).reset_timeout_s or 0)) for h in metrics}
    evidence = collect_evidence(con, window, metrics, settings, gap_limits=limits)
    for host, values in metrics.items():
        values["active_s"] = round(evidence[host].active_s, 3)
    troubled = [h for h, ev in evidence.items() if ev.failures and not config.disabled]
    timelines = load_timelines(con, window, troubled) if troubled else {}
    for host, timeline in timelines.items():
        evidence[host].timeline = timeline
    currents, origins = {}, {}
    for host in metrics:
        currents[host], origins[host] = current_settings(config, host, evidence[host])
    advice, incidents = recommend(evidence, currents, settings, disabled=config.disabled)
    wanted = {h.strip().lower() for h in hosts} if hosts else None
    results = []
    for host, values in metrics.items():
        if wanted is not None and host not in wanted:
            continue
        result = HostResult(
            host=host,
            metrics=values,
            current=currents[host],
            current_origin=origins[host],
            recommendations=advice[host].recommendations,
            unchanged_reason=advice[host].unchanged,
        )
        if evidence[host].early_probes:
            result.warnings.append(
                f"{evidence[host].early_probes} half-open probes were sent before the "
                "server's Retry-After deadline"
            )
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
        attach_replay(analysis, timelines)
    return analysis
