"""Plotly trend charts over the retained nights: per host, opens, open time, failure
rate, and current vs suggested values of the parameters advised on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from markupsafe import Markup
from plotly.subplots import make_subplots

from advisor.outputs.report.axes import count_step
from advisor.outputs.report.figures import COLOURS, Chart, ChartTable, script_json
from advisor.outputs.report.formatting import duration, pct

MAX_HOSTS = 24  # hosts charted, most open time first


@dataclass
class HostTrend:
    """The trend charts of one host."""

    host: str
    charts: list[Chart] = field(default_factory=list)


def _chart(kind: str, title: str, caption: str, fig: go.Figure, table: ChartTable) -> Chart:
    # the page keeps fixed margins unless a figure asks: many nights' dates turn on end
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    height = int(fig.layout.height)
    return Chart(kind, title, caption, Markup(script_json(fig.to_json())), height, table)


def _layout(height: int) -> dict[str, Any]:
    return {
        "template": go.layout.Template(),
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 10, "b": 40},
        "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
        "hovermode": "x unified",
    }


def _dates(nights: pd.Series) -> list[str]:
    """Nights as dates (``2026-11-25``), never as midnight timestamps."""
    return [pd.Timestamp(n).strftime("%Y-%m-%d") for n in nights]


def _metrics_chart(host: str, rows: pd.DataFrame) -> Chart:
    nights = _dates(rows["night"])
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.06)
    fig.add_trace(go.Bar(x=nights, y=rows["opens"], name="opens",
                         marker_color=COLOURS["open"]), row=1, col=1)  # fmt: skip
    fig.add_trace(go.Scatter(x=nights, y=rows["open_time_s"] / 60, name="open time (min)",
                             mode="lines+markers", line={"color": COLOURS["half_open"]}),
                  row=2, col=1)  # fmt: skip
    failure_line = {"color": COLOURS["failure"], "dash": "dash"}
    fig.add_trace(go.Scatter(x=nights, y=rows["failure_rate"] * 100, name="failure rate (%)",
                             mode="lines+markers", line=failure_line), row=3, col=1)  # fmt: skip
    fig.update_layout(**_layout(360))
    fig.update_xaxes(type="category")
    fig.update_yaxes(title_text="opens", row=1, col=1, rangemode="tozero",
                     **_counts(rows["opens"].max()))  # fmt: skip
    fig.update_yaxes(title_text="open min", row=2, col=1)
    fig.update_yaxes(title_text="fail %", row=3, col=1)
    table = ChartTable("night")  # the page lists the traces' values per night
    last = rows.iloc[-1]
    caption = (
        f"{host} over {len(nights)} night(s); last night {int(last['opens'])} opens, "
        f"{duration(last['open_time_s'])} open, failure rate {pct(last['failure_rate'])}."
    )
    return _chart("trend-metrics", f"Nightly opens, open time and failure rate of {host}",
                  caption, fig, table)  # fmt: skip


def _counts(top: float) -> dict[str, Any]:
    """Whole-number ticks for a count axis."""
    return {"tickformat": "d", "dtick": count_step(max(float(top), 1.0)), "tick0": 0}


def _settings_chart(host: str, rows: pd.DataFrame) -> Chart | None:
    """Current and suggested values per night, one panel (own y axis) per parameter."""
    advised = rows.dropna(subset=["parameter"])
    if advised.empty:
        return None
    groups = list(advised.groupby("parameter", sort=True))
    fig = make_subplots(rows=len(groups), cols=1, shared_xaxes=True, vertical_spacing=0.12)
    for row, (parameter, group) in enumerate(groups, start=1):
        nights = _dates(group["night"])
        for kind in ("current", "suggested"):
            fig.add_trace(go.Scatter(
                x=nights, y=group[kind], name=f"{kind} {parameter}", mode="lines+markers",
                line={"color": COLOURS[kind], "dash": "dot" if kind == "current" else "dash"},
                marker={"symbol": "circle-open" if kind == "current" else "diamond"},
            ), row=row, col=1)  # fmt: skip
        top = group[["current", "suggested"]].max().max()
        fig.update_yaxes(title_text=str(parameter), row=row, col=1, rangemode="tozero",
                         **(_counts(top) if parameter != "reset_timeout_s" else {}))  # fmt: skip
    fig.update_layout(**_layout(90 + 130 * len(groups)))
    fig.update_xaxes(type="category", categoryorder="category ascending")
    table = ChartTable("night")
    caption = (
        f"Values advised for {host} on the nights a change was recommended, one panel per "
        "setting (dotted: current, dashed: suggested)."
    )
    return _chart("trend-settings", f"Suggested vs current settings of {host}", caption, fig,
                  table)  # fmt: skip


def host_trends(frame: pd.DataFrame) -> list[HostTrend]:
    """Trend charts per host from the ``nightly_trends`` rows (numbers only)."""
    frame = frame.copy()
    for column in ("current", "suggested"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    totals = frame.groupby("host")["open_time_s"].sum().sort_values(ascending=False)
    result = []
    for host in list(totals.index)[:MAX_HOSTS]:
        rows = frame[frame["host"] == host]
        metrics = rows.drop_duplicates("night").sort_values("night")
        trend = HostTrend(host, [_metrics_chart(host, metrics)])
        settings = _settings_chart(host, rows.sort_values("night"))
        if settings is not None:
            trend.charts.append(settings)
        result.append(trend)
    return result
