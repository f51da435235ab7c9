"""Notebook helpers: the report's Plotly figures from a report-data document (plain
data, no connection), sized for a notebook, and their static PNGs. Jupyter's escaped
HTML tables are ``advisor.text.html_table``."""

from __future__ import annotations

import importlib
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from advisor.errors import UsageError

MIN_HEIGHT = 320  # px: the report sizes its heat map to the page (156 px for four hosts)
ROW_HEIGHT = 28  # px per host row of the heat map, as a notebook is read (no hover)


def _figure(chart: Any, what: str, title: str) -> go.Figure:
    """The chart's figure with a title (a notebook has no heading beside it) and at
    least ``MIN_HEIGHT`` px, ``ROW_HEIGHT`` per heat-map row."""
    if chart is None:
        raise UsageError(f"nothing to draw for {what} in this window")
    figure = pio.from_json(str(chart.figure))
    rows = max((len(t.y) for t in figure.data if t.type == "heatmap" and t.y), default=0)
    height = max(figure.layout.height or 0, MIN_HEIGHT, 140 + ROW_HEIGHT * rows)
    return figure.update_layout(
        height=height,
        title={"text": title, "x": 0, "xref": "paper", "xanchor": "left"},
        margin={"t": 50},
    )


def static_figures(width: int = 900, scale: float = 1.0) -> None:
    """Show every Plotly figure as the interactive figure plus a ``width`` px PNG
    (``"plotly_mimetype+png"``), the PNG drawn by kaleido in the installed Chromium.

    kaleido's defaults would fetch MathJax from a CDN; its one browser is started here
    without it (plotly.js comes from the plotly package), so no network is used.
    """
    try:
        kaleido = importlib.import_module("kaleido")  # a test extra: untyped, optional
    except ImportError:
        raise UsageError(
            "static figures need kaleido (pip install -e '.[test]') and Chromium"
        ) from None
    kaleido.start_sync_server(mathjax=False, silence_warnings=True)
    # plotly passes its defaults to each call, which the server ignores with a warning;
    # its only non-empty one, HTTP headers, is for fetching scripts, which never happens
    pio.defaults.headers = None
    png = pio.renderers["png"]
    png.width, png.scale = width, scale
    pio.renderers.default = "plotly_mimetype+png"


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
    chart = figures.host_timeline(series, view)
    title = f"{figures.plotly_text(view.host)}: breaker state, failures and calls"
    return _figure(chart, host, title)


def fleet_heatmap(data: dict[str, Any]) -> go.Figure:
    """Opens per host over time (host x time bucket), from a report-data document."""
    from advisor.outputs.report import figures

    series, summary = _views(data)
    chart = figures.fleet_opens(series, summary.hosts)
    return _figure(chart, "the fleet", "Breaker opens per host and time bucket")


def fleet_timeline(data: dict[str, Any]) -> go.Figure:
    """State timelines of the hosts that need attention, from a report-data document."""
    from advisor.outputs.report import figures

    series, summary = _views(data)
    chart = figures.fleet_timeline(series, summary.hosts)
    return _figure(chart, "the fleet", "Breaker state of the hosts that need attention")
