"""Notebook helpers: the report's Plotly figures for one analysis, and escaped HTML
tables for Jupyter's rich display."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import jinja2
import plotly.graph_objects as go
import plotly.io as pio

from advisor.errors import UsageError

if TYPE_CHECKING:
    from advisor.model import Analysis

_HTML = jinja2.Environment(autoescape=True).from_string(
    """<table class="breaker-advisor">
<caption>{{ caption }}</caption>
<thead><tr>{% for c in columns %}<th>{{ c }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in rows %}<tr>{% for v in row %}<td>{{ v }}</td>{% endfor %}</tr>{% endfor %}
</tbody></table>"""
)


def html_table(caption: str, columns: list[str], rows: list[list[Any]]) -> str:
    """An autoescaped HTML table (host names and reasons are user data)."""
    return _HTML.render(caption=caption, columns=columns, rows=rows)


def _figure(chart: Any, what: str) -> go.Figure:
    if chart is None:
        raise UsageError(f"nothing to draw for {what} in this window")
    return pio.from_json(str(chart.figure))


def _views(analysis: Analysis) -> tuple[Any, Any]:
    from advisor.metrics import series
    from advisor.outputs.report import summary

    return series.collect(analysis), summary.summarize(analysis)


def timeline(analysis: Analysis, host: str) -> go.Figure:
    """State timeline of ``host`` (closed/open/half-open bands, failures, Retry-After)."""
    from advisor.outputs.report import figures

    data, summary = _views(analysis)
    wanted = host.strip().lower()
    view = next((v for v in summary.hosts if v.host == wanted), None)
    if view is None:
        raise UsageError(f"no host {host!r} in this analysis")
    return _figure(figures.host_timeline(data, view), host)


def fleet_heatmap(analysis: Analysis) -> go.Figure:
    """Opens per host over time (host x time bucket)."""
    from advisor.outputs.report import figures

    data, summary = _views(analysis)
    return _figure(figures.fleet_opens(data, summary.hosts), "the fleet")


def fleet_timeline(analysis: Analysis) -> go.Figure:
    """State timelines of the hosts that need attention, on one time axis."""
    from advisor.outputs.report import figures

    data, summary = _views(analysis)
    return _figure(figures.fleet_timeline(data, summary.hosts), "the fleet")
