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
from typing import Any

import duckdb

from advisor import queries
from advisor.database import connect
from advisor.events import load_events
from advisor.metrics import compute_relations, host_metrics
from advisor.sources import Source, open_sources
from advisor.window import Window, iso_z, make_window, parse_until

SCHEMA_VERSION = 1


@dataclass
class HostResult:
    """What the advisor knows and says about one host."""

    host: str
    metrics: dict[str, Any]
    current: dict[str, Any] = field(default_factory=dict)
    recommendations: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "metrics": self.metrics,
            "current": self.current,
            "recommendations": self.recommendations,
        }


@dataclass
class Analysis:
    """The result of ``analyze``: window, sources, per-host results, warnings."""

    window: Window
    sources: list[Source]
    hosts: list[HostResult]
    warnings: list[str]
    generated_at: datetime
    con: duckdb.DuckDBPyConnection

    @property
    def unreadable_sources(self) -> list[Source]:
        return [s for s in self.sources if not s.readable]

    def attention_order(self) -> list[HostResult]:
        """Hosts sorted by how much attention they need: changes, open time, failures."""
        return sorted(
            self.hosts,
            key=lambda h: (
                -len(h.recommendations),
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
            "warnings": self.warnings,
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The contract as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)


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
) -> Analysis:
    """Read the manifests in ``sources`` and compute per-host metrics over the window.

    Args:
        sources: files, directories or globs of manifest SQLite files.
        window_s: window length in seconds.
        until: window end: ``now``, ``latest``, ISO-8601 or epoch seconds.
        hosts: only these hosts (case-insensitive); all when None.

    Raises:
        NoSourcesError: nothing matched ``sources``.
        UsageError: bad ``window_s`` or ``until``.
    """
    if isinstance(sources, str | Path):
        sources = [sources]
    con = connect()
    found = open_sources(con, sources)
    load_events(con, found)
    latest = con.execute(queries.load("latest_event")).fetchone()[0]
    window = make_window(window_s, parse_until(until, latest))
    compute_relations(con, window)
    metrics = host_metrics(con, window, hosts)
    inferred = dict(con.execute(queries.load("inferred_current"), {"end": window.end}).fetchall())
    results = []
    for host, values in metrics.items():
        current: dict[str, Any] = {}
        if inferred.get(host) is not None:
            current["reset_timeout_s"] = inferred[host]
        results.append(HostResult(host=host, metrics=values, current=current))
    warnings = [f"{s.path}: not analysed: {s.error}" for s in found if not s.readable]
    return Analysis(
        window=window,
        sources=found,
        hosts=results,
        warnings=warnings,
        generated_at=datetime.now(UTC),
        con=con,
    )
