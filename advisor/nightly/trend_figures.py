"""Plotly trend charts over the retained nights: per host, opens, open time, failure
rate, and current vs suggested values of the parameters advised on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from markupsafe import Markup
from plotly.subplots import make_subplots

from advisor.outputs.report.figures import COLOURS, Chart, ChartTable, script_json
from advisor.outputs.report.formatting import duration, pct

MAX_HOSTS = 24  # hosts charted, most open time first


@dataclass
class HostTrend:
    """The trend charts of one host."""

    host: str
    charts: list[Chart] = field(default_factory=list)


def _chart(kind: str, title: str, caption: str, fig: go.Figure, table: ChartTable) -> Chart:
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


def _metrics_chart(host: str, rows: pd.DataFrame) -> Chart:
    nights = [str(n) for n in rows["night"]]
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
    fig.update_yaxes(title_text="opens", row=1, col=1)
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


def _settings_chart(host: str, rows: pd.DataFrame) -> Chart | None:
    advised = rows.dropna(subset=["parameter"])
    if advised.empty:
        return None
    fig = go.Figure()
    for parameter, group in advised.groupby("parameter", sort=True):
        nights = [str(n) for n in group["night"]]
        for kind, column in (("current", "current"), ("suggested", "suggested")):
            fig.add_trace(go.Scatter(
                x=nights, y=group[column], name=f"{kind} {parameter}", mode="lines+markers",
                line={"color": COLOURS[kind], "dash": "dot" if kind == "current" else "dash"},
            ))  # fmt: skip
    fig.update_layout(**_layout(260))
    fig.update_xaxes(type="category", categoryorder="category ascending")
    table = ChartTable("night")
    caption = f"Values advised for {host} on the nights a change was recommended."
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
