"""Notebook helpers: the report's Plotly figures from a report-data document (plain
data, no connection). Jupyter's escaped HTML tables are ``advisor.text.html_table``."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from advisor.errors import UsageError


def _figure(chart: Any, what: str) -> go.Figure:
    if chart is None:
        raise UsageError(f"nothing to draw for {what} in this window")
    return pio.from_json(str(chart.figure))


def _views(data: dict[str, Any]) -> tuple[Any, Any]:
    from advisor.metrics.series import ReportSeries
    from advisor.outputs.report import summary

    return ReportSeries.from_dict(data["series"]), summary.summarize(data)


def timeline(data: dict[str, Any], host: str) -> go.Figure:
    """State timeline of ``host`` (closed/open/half-open bands, failures, Retry-After),
    from a report-data document (``advisor.pipeline.report_data``)."""
    from advisor.outputs.report import figures

    series, summary = _views(data)
    wanted = host.strip().lower()
    view = next((v for v in summary.hosts if v.host == wanted), None)
    if view is None:
        raise UsageError(f"no host {host!r} in this analysis")
    return _figure(figures.host_timeline(series, view), host)


def fleet_heatmap(data: dict[str, Any]) -> go.Figure:
    """Opens per host over time (host x time bucket), from a report-data document."""
    from advisor.outputs.report import figures

    series, summary = _views(data)
    return _figure(figures.fleet_opens(series, summary.hosts), "the fleet")


def fleet_timeline(data: dict[str, Any]) -> go.Figure:
    """State timelines of the hosts that need attention, from a report-data document."""
    from advisor.outputs.report import figures

    series, summary = _views(data)
    return _figure(figures.fleet_timeline(series, summary.hosts), "the fleet")
