"""Plotly figures of the report, built in Python from ``ReportSeries``.

Each builder returns a ``Chart`` (figure JSON, made safe to sit inside a
``<script type="application/json">`` block, plus a caption that says the same in
words) or None when there is nothing to draw. Figures are plain dicts in the shape
of ``plotly.graph_objects.Figure``; arrays travel as Plotly's base64 typed arrays.
Building hundreds of validated ``go.Figure`` objects costs seconds, so they are not
validated here (the tests check every figure of a rendered page with plotly's
validators). Figures carry no template: the page script applies one light/dark
theme to all. Colours follow the Okabe-Ito palette and every series also differs
by pattern or dash, so the charts read in grey too.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import plotly.io as pio
from markupsafe import Markup

from advisor.metrics.series import MAX_STREAK, PER_DECADE, Bands, ReportSeries
from advisor.outputs.report.formatting import count, duration, pct, value
from advisor.outputs.report.summary import HostView

COLOURS = {
    "closed": "#009E73",
    "open": "#D55E00",
    "half_open": "#E69F00",
    "success": "#0072B2",
    "failure": "#D55E00",
    "neutral": "#999999",
    "current": "#555555",
    "suggested": "#CC79A7",
}
FLEET_ROWS = 40  # hosts in the fleet heat map and open-time bars
TIMELINE_ROWS = 12  # hosts in the fleet state timeline
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027"}
_TYPED = {"i1", "u1", "i2", "u2", "i4", "u4", "f4", "f8"}  # what plotly.js decodes


@dataclass(frozen=True)
class ChartTable:
    """How the page script lists the numbers behind a chart, from the figure's own traces
    (one column per trace, setting lines left out; rows with only zeros skipped).

    ``rows``: ``ranges`` (a step histogram: row i spans x[i] to x[i + 1]) or ``values``
    (one row per x); ``cap``: the largest x stands for "this or more".
    """

    label: str
    rows: str = "values"
    cap: int | None = None


@dataclass
class Chart:
    """One figure on the page: JSON for Plotly and words for everyone else."""

    kind: str
    title: str
    caption: str
    figure: Markup  # JSON already escaped for a <script> block (see script_json)
    height: int
    table: ChartTable | None = None
    id: str = field(default="")


def script_json(text: str) -> str:
    """JSON text made safe inside ``<script>``: ``<``, ``>``, ``&`` and ``'`` become
    ``\\u`` escapes (they can only occur inside JSON strings, where that is equivalent)."""
    for char, escape in _JSON_ESCAPES.items():
        text = text.replace(char, escape)
    return text


def typed(values: Any, dtype: str) -> dict[str, str]:
    """A numeric array as a Plotly typed-array spec (base64, little-endian)."""
    if dtype not in _TYPED:
        raise ValueError(f"plotly.js has no typed array {dtype!r}")
    array = np.ascontiguousarray(values, dtype=np.dtype(dtype).newbyteorder("<"))
    spec = {"dtype": dtype, "bdata": base64.b64encode(array.tobytes()).decode("ascii")}
    if array.ndim > 1:
        spec["shape"] = ",".join(str(n) for n in array.shape)
    return spec


def _counts(values: np.ndarray) -> dict[str, str]:
    """Non-negative counts in the smallest unsigned type that holds them."""
    top = int(values.max()) if values.size else 0
    return typed(values, "u1" if top < 256 else "u2" if top < 65536 else "u4")


def plotly_text(text: str) -> str:
    """Plotly reads labels as pseudo-HTML: escape it so a host name shows as written."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _chart(
    kind: str,
    title: str,
    caption: str,
    data: list[dict[str, Any]],
    layout: dict[str, Any],
    **extra: Any,
) -> Chart:
    figure = {"data": data, "layout": layout}
    text = pio.to_json(figure, validate=False, pretty=False)
    return Chart(kind, title, caption, Markup(script_json(text)), layout["height"], **extra)


def _layout(height: int, **extra: Any) -> dict[str, Any]:
    """Height and what differs per figure; margins, legend place, fonts and colours are
    the page theme's (reports/templates/_charts.js.j2)."""
    return {"height": height, **extra}


def _pattern(shape: str) -> dict[str, Any]:
    """A dark pattern over the series colour, so series differ without colour too."""
    return {"shape": shape, "fillmode": "overlay", "fgcolor": "#000000", "fgopacity": 0.45}


def _time_axis(series: ReportSeries, **extra: Any) -> dict[str, Any]:
    return {"type": "date", "range": [series.start_ms, series.end_ms], **extra}


def _setting_lines(
    host: HostView, parameter: str, position: Any, y: tuple[float, float], unit: str = ""
) -> tuple[list[dict[str, Any]], list[float]]:
    """Vertical lines at the current (dotted) and suggested (dashed) value of ``parameter``,
    as legend entries that name the value; also returns their x positions."""
    lines, xs = [], []
    current, suggested = host.setting(parameter)
    for kind, setting in (("current", current), ("suggested", suggested)):
        if isinstance(setting, int | float) and not isinstance(setting, bool) and setting > 0:
            x = position(float(setting))
            name = f"{kind} {parameter} {value(setting)}{unit}"
            dash = "dot" if kind == "current" else "dash"
            lines.append(
                {
                    "type": "scatter",
                    "x": [x, x],
                    "y": list(y),
                    "mode": "lines",
                    "line": {"color": COLOURS[kind], "width": 2, "dash": dash},
                    "name": name,
                    "hovertemplate": name + "<extra></extra>",
                    "meta": "setting",  # not data: left out of the numbers table
                }
            )
            xs.append(x)
    return lines, xs


# ----------------------------------------------------------------------------- fleet


def fleet_opens(series: ReportSeries, hosts: Sequence[HostView]) -> Chart | None:
    """Heat map: opens per host (rows, most attention first) and time bucket."""
    rows = [h for h in hosts if h.host in series.opens][:FLEET_ROWS]
    if not rows:
        return None
    z = np.vstack([series.opens[h.host] for h in rows]).astype(np.float32)
    z[z == 0] = np.nan
    grid = series.coarse
    heatmap = {
        "type": "heatmap",
        "z": typed(z, "f4"),
        "x0": grid.start_ms + grid.width_ms / 2,
        "dx": grid.width_ms,
        "y": [plotly_text(h.host) for h in rows],
        "colorscale": [[0, "#FDD0A2"], [0.5, "#E6550D"], [1, "#7F2704"]],
        "zmin": 0,
        "zmax": max(1.0, float(np.nanmax(z))),
        "xgap": 1,
        "ygap": 1,
        "colorbar": {"title": {"text": "opens"}, "thickness": 12},
        "hovertemplate": "%{y}<br>%{x|%Y-%m-%d %H:%M}: %{z} opens<extra></extra>",
        "name": "opens",
    }
    if z.size <= 2000:
        heatmap["texttemplate"] = "%{z}"
    layout = _layout(
        90 + 22 * len(rows),
        margin={"l": 200},
        xaxis=_time_axis(series),
        yaxis={"autorange": "reversed", "type": "category", "automargin": True},
    )
    more = sum(1 for h in hosts if h.host in series.opens) - len(rows)
    caption = (
        f"Breaker opens per {duration(grid.width_s)} for the {len(rows)} hosts whose breaker "
        "opened, most attention first; darker and higher numbers mean more opens, empty cells "
        "none." + (f" {more} more hosts opened; see the table." if more > 0 else "")
    )
    return _chart("heatmap", "Opens per host over time", caption, [heatmap], layout)


def fleet_open_time(hosts: Sequence[HostView]) -> Chart | None:
    """Bars: share of its active time each host's breaker was open (not closed)."""
    rows = sorted((h for h in hosts if h.open_fraction > 0), key=lambda h: -h.open_fraction)
    shown = rows[:FLEET_ROWS]
    if not shown:
        return None
    bars = {
        "type": "bar",
        "orientation": "h",
        "x": typed([h.open_fraction * 100 for h in shown], "f4"),
        "y": [plotly_text(h.host) for h in shown],
        "text": [pct(h.open_fraction) for h in shown],
        "textposition": "outside",
        "cliponaxis": False,
        "marker": {"color": COLOURS["open"], "pattern": _pattern("/")},
        "hovertemplate": "%{y}: open %{text} of its active time<extra></extra>",
        "name": "open time",
    }
    layout = _layout(
        70 + 22 * len(shown),
        margin={"l": 200, "r": 50},
        showlegend=False,
        xaxis={"title": {"text": "% of active time open"}, "rangemode": "tozero"},
        yaxis={"autorange": "reversed", "type": "category", "automargin": True},
    )
    caption = "Share of its active time each breaker was open, longest first: " + "; ".join(
        f"{h.host} {pct(h.open_fraction)}" for h in shown[:5]
    )
    if len(rows) > len(shown):
        caption += f"; {len(rows) - len(shown)} more hosts below {pct(shown[-1].open_fraction)}"
    return _chart("bar", "Open time per host", caption + ".", [bars], layout)


def _band_traces(bands_by_row: Sequence[Bands]) -> list[dict[str, Any]]:
    """Horizontal bars for open and half-open bands; row ``i`` is drawn at ``y = i``."""
    traces = []
    for state, name, pattern in (
        ("open", "open (incl. half-open trials)", "/"),
        ("half_open", "half-open", "."),
    ):
        base, length, ys, data = [], [], [], []
        for row, bands in enumerate(bands_by_row):
            for i in range(len(bands)):
                if (bands.opens[i] > 0) != (state == "open"):
                    continue
                base.append(bands.start_ms[i])
                length.append(max(bands.end_ms[i] - bands.start_ms[i], 1.0))
                ys.append(row)
                data.append((bands.opens[i], bands.open_s[i], bands.half_opens[i]))
        if not base:
            continue
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "base": typed(base, "f8"),
                "x": typed(length, "f4"),
                "y": typed(ys, "u1" if len(bands_by_row) < 256 else "u2"),
                "customdata": typed(data, "f4"),
                "width": 0.7,
                "marker": {
                    "color": COLOURS[state],
                    "line": {"width": 0},
                    "pattern": _pattern(pattern),
                },
                "name": name,
                "hovertemplate": (
                    "opened %{customdata[0]}×, half-open %{customdata[2]}×, open "
                    "%{customdata[1]:.0f} s<extra>" + state.replace("_", "-") + "</extra>"
                ),
            }
        )
    return traces


def _closed_trace(series: ReportSeries, rows: int) -> dict[str, Any]:
    return {
        "type": "bar",
        "orientation": "h",
        "base": typed(np.full(rows, series.start_ms), "f8"),
        "x": typed(np.full(rows, series.end_ms - series.start_ms), "f8"),
        "y": typed(np.arange(rows), "u1" if rows < 256 else "u2"),
        "width": 0.7,
        "marker": {"color": COLOURS["closed"], "opacity": 0.3, "line": {"width": 0}},
        "name": "closed",
        "hoverinfo": "skip",
    }


def fleet_timeline(series: ReportSeries, hosts: Sequence[HostView]) -> Chart | None:
    """State bands of the hosts that need attention, on one time axis."""
    rows = [h for h in hosts if h.changes or len(series.hosts[h.host].bands)][:TIMELINE_ROWS]
    if not rows:
        return None
    traces = [_closed_trace(series, len(rows))]
    traces += _band_traces([series.hosts[h.host].bands for h in rows])
    layout = _layout(
        110 + 26 * len(rows),
        barmode="overlay",
        margin={"l": 200},
        xaxis=_time_axis(series),
        yaxis={
            "tickvals": list(range(len(rows))),
            "ticktext": [plotly_text(h.host) for h in rows],
            "autorange": "reversed",
            "automargin": True,
            "fixedrange": True,
        },
    )
    caption = (
        f"Breaker state of the {len(rows)} hosts needing attention: closed is the pale band, "
        "open hatched (/), half-open dotted; stays less than "
        f"{duration((series.end_ms - series.start_ms) / 600_000)} apart are drawn as one band."
    )
    return _chart(
        "timeline", "State timeline of the hosts needing attention", caption, traces, layout
    )


# ----------------------------------------------------------------------------- one host


def _trial_traces(series: ReportSeries, host: HostView, yaxis: str) -> list[dict[str, Any]]:
    """Half-open trial outcomes per coarse bucket, failures stacked on successes."""
    data, grid = series.hosts[host.host], series.coarse
    traces = []
    for values, base, name, kind, pattern in (
        (data.trial_successes, None, "trials succeeded", "success", ""),
        (data.trial_failures, data.trial_successes, "trials failed", "failure", "x"),
    ):
        if not values.any():
            continue
        trace = {
            "type": "bar",
            "x0": grid.start_ms + grid.width_ms / 2,
            "dx": grid.width_ms,
            "y": _counts(values),
            "yaxis": yaxis,
            "name": name,
            "marker": {"color": COLOURS[kind], "pattern": _pattern(pattern)},
            "hovertemplate": "%{x|%H:%M}: %{y} " + name + "<extra></extra>",
        }
        if base is not None and base.any():
            trace["base"] = _counts(base)
        traces.append(trace)
    return traces


def host_timeline(series: ReportSeries, host: HostView) -> Chart | None:
    """One time axis, three panels: breaker state bands; failures per bucket with the
    Retry-After values seen; half-open trial outcomes."""
    data = series.hosts[host.host]
    has_failures = bool(data.failures.any())
    retry = ~np.isnan(data.retry_after_max)
    trials = _trial_traces(series, host, "y4")
    if not (len(data.bands) or has_failures or retry.any() or trials):
        return None
    grid, coarse = series.fine, series.coarse
    traces = [_closed_trace(series, 1), *_band_traces([data.bands])]
    per = duration(grid.width_s)
    if has_failures:
        traces.append(
            {
                "type": "bar",
                "x0": grid.start_ms + grid.width_ms / 2,
                "dx": grid.width_ms,
                "y": _counts(data.failures),
                "yaxis": "y2",
                "marker": {"color": COLOURS["failure"], "pattern": _pattern("x")},
                "name": f"failures per {per}",
                "hovertemplate": "%{x|%H:%M}: %{y} failures<extra></extra>",
            }
        )
    if retry.any():
        traces.append(
            {
                "type": "scatter",
                "x0": coarse.start_ms + coarse.width_ms / 2,
                "dx": coarse.width_ms,
                "y": typed(data.retry_after_max, "f4"),  # NaN: no Retry-After in that bucket
                "yaxis": "y3",
                "mode": "markers",
                "marker": {"symbol": "triangle-down", "size": 9, "color": COLOURS["suggested"]},
                "name": f"Retry-After (max per {duration(coarse.width_s)}, s)",
                "hovertemplate": "%{x|%H:%M}: Retry-After up to %{y} s<extra></extra>",
            }
        )
    traces += trials
    # Panels from the top: state, failures (+ Retry-After on the right), trials.
    state, fails, tried = (
        ([0.84, 0.98], [0.38, 0.76], [0, 0.3]) if trials else ([0.74, 0.98], [0, 0.62], None)
    )
    layout = _layout(
        340 if trials else 260,
        barmode="overlay",
        bargap=0.1,
        xaxis=_time_axis(series, anchor="y4" if trials else "y2"),
        yaxis={
            "domain": state, "tickvals": [0], "ticktext": ["state"],
            "range": [-0.5, 0.5], "fixedrange": True,
        },
        yaxis2={"domain": fails, "title": {"text": "failures"}, "rangemode": "tozero"},
        yaxis3={
            "overlaying": "y2", "side": "right", "title": {"text": "Retry-After s"},
            "showgrid": False, "rangemode": "tozero",
        },
        margin={"r": 60},
    )  # fmt: skip
    if tried:
        layout["yaxis4"] = {"domain": tried, "title": {"text": "trials"}, "rangemode": "tozero"}
    m = host.metrics
    caption = (
        f"Top: breaker state (closed pale, open hatched, half-open dotted); {m['opens']} opens, "
        f"open {pct(host.open_fraction)} of its active time. Middle: "
        f"{count(m['failures'])} failures per {per}"
    )
    ra = m["retry_after_s"]
    if ra["count"]:
        seen = f"{count(ra['count'])}×, up to {duration(ra['max'])}"
        caption += f"; triangles: Retry-After seen {seen}"
    caption += "."
    if trials:
        caption += (
            f" Bottom: {count(m['half_open_trials'])} half-open trials per "
            f"{duration(coarse.width_s)}, {count(m['half_open_successes'])} succeeded (plain), "
            f"{count(m['half_open_failures'])} failed (×): success rate "
            f"{pct(m['half_open_success_rate'])}."
        )
    title = "State timeline, failures, Retry-After and half-open trials"
    return _chart("timeline", title, caption, traces, layout)


def _edges(bins: Sequence[int]) -> np.ndarray:
    return 10 ** (np.arange(min(bins), max(bins) + 2) / PER_DECADE)


def host_durations(series: ReportSeries, host: HostView) -> Chart | None:
    """Histograms of open and episode durations, with current and suggested reset_timeout_s."""
    data = series.hosts[host.host].durations
    bins = [b for what in data.values() for b in what]
    if not bins:
        return None
    edges = _edges(bins)
    first = min(bins)
    traces = []
    bin_counts: dict[str, list[int]] = {}  # what -> count per bin
    for what, name, style in (
        ("open", "open stays", {"fill": "tozeroy", "fillpattern": {"shape": "/"}}),
        ("episode", "episodes (open → closed)", {"line": {"shape": "hv", "dash": "dash"}}),
    ):
        counts = [data[what].get(first + i, (0, 0))[0] for i in range(len(edges) - 1)]
        bin_counts[what] = counts
        if not any(counts):
            continue
        traces.append(
            {
                "type": "scatter",
                "x": typed(edges, "f4"),
                "y": _counts(np.array([*counts, counts[-1]])),
                "mode": "lines",
                "line": {"shape": "hv"},
                "name": name,
                "marker": {"color": COLOURS["open" if what == "open" else "success"]},
                "hovertemplate": "from %{x:.3s} s: %{y}<extra>" + what + "</extra>",
                **style,
            }
        )
    top = max(c for counts in bin_counts.values() for c in counts)
    lines, xs = _setting_lines(host, "reset_timeout_s", lambda v: v, (0, top * 1.1), " s")
    low, high = min([edges[0], *xs]), max([edges[-1], *xs])
    layout = _layout(
        260,
        xaxis={
            "type": "log",
            "range": [math.log10(low) - 0.05, math.log10(high) + 0.1],
            "title": {"text": "duration, seconds (log scale)"},
        },
        yaxis={"title": {"text": "count"}, "rangemode": "tozero"},
    )
    m = host.metrics
    od, ed = m["open_duration_s"], m["episode_duration_s"]
    caption = (
        f"{m['opens']} open stays (p50 {duration(od['p50'])}, p90 {duration(od['p90'])}, "
        f"longest {duration(od['max'])}) and {m['episodes']} episodes (p50 "
        f"{duration(ed['p50'])}, longest {duration(ed['max'])}). Dotted line: current "
        "reset_timeout_s; dashed: suggested (values in the legend)."
    )
    table = ChartTable("duration, seconds", rows="ranges")
    title = "Open and episode durations"
    return _chart("histogram", title, caption, traces + lines, layout, table=table)


STREAK_LABELS = {
    "open": ("opened the breaker", "failure", "/"),
    "success": ("ended by a success", "success", ""),
    "end": ("still running at the window end", "neutral", "."),
}


def host_streaks(series: ReportSeries, host: HostView) -> Chart | None:
    """Failure-streak lengths by how each streak ended, with current and suggested fail_max."""
    data = series.hosts[host.host].streaks
    longest = max((length for per in data.values() for length in per), default=0)
    if not longest:
        return None
    lengths = np.arange(1, longest + 1)
    per_ending = {
        ending: np.array([data[ending].get(int(n), 0) for n in lengths]) for ending in STREAK_LABELS
    }
    traces = [
        {
            "type": "bar",
            "x0": 1,
            "dx": 1,
            "y": _counts(per_ending[ending]),
            "name": name,
            "marker": {"color": COLOURS[colour], "pattern": _pattern(pattern)},
            "hovertemplate": "%{x} in a row: %{y} streaks<extra>" + name + "</extra>",
        }
        for ending, (name, colour, pattern) in STREAK_LABELS.items()
        if per_ending[ending].any()
    ]
    # A streak of fail_max failures opens the breaker: the line sits just before that bar.
    top = int(np.sum(list(per_ending.values()), axis=0).max())
    lines, xs = _setting_lines(host, "fail_max", lambda v: v - 0.5, (0.7, top * 2))
    layout = _layout(
        260,
        barmode="stack",
        xaxis={
            "title": {"text": f"consecutive failures while closed ({MAX_STREAK} = or more)"},
            "range": [0.4, max([longest + 0.6, *[x + 1 for x in xs]])],
            "dtick": 1 if max([longest, *xs]) <= 20 else 5,
        },
        yaxis={
            "type": "log",
            "title": {"text": "streaks (log scale)"},
            "range": [math.log10(0.7), math.log10(top * 2)],
            "dtick": 1,
        },
    )
    totals = {e: int(per_ending[e].sum()) for e in STREAK_LABELS}
    current, suggested = host.setting("fail_max")
    caption = (
        f"{sum(totals.values())} failure streaks while closed, longest {longest}"
        f"{'+' if longest >= MAX_STREAK else ''}; {totals['open']} opened the breaker. "
        f"Dotted line: current fail_max {value(current)}"
        + (f"; dashed: suggested {value(suggested)}." if suggested is not None else ".")
    )
    table = ChartTable("failures in a row", cap=MAX_STREAK)
    return _chart("bar", "Failure streaks", caption, traces + lines, layout, table=table)


def _knobs(point: dict[str, Any]) -> str:
    return f"fail_max {point['fail_max']}, reset_timeout_s {value(point['reset_timeout_s'])} s"


def _counts_text(point: dict[str, Any]) -> str:
    return f"{count(point['wasted'])} wasted, {count(point['lost'])} lost"


def host_trade_off(trade: dict[str, Any] | None, host: HostView) -> Chart | None:
    """Wasted against lost calls of the settings replayed on the host's recorded calls:
    the Pareto front of the grid, today's setting, the suggested one and the cheapest."""
    if not trade or not trade.get("front"):
        return None
    front = trade["front"]
    hover = "%{customdata}: %{x} wasted, %{y} lost<extra>%{fullData.name}</extra>"
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": [p["wasted"] for p in front],
            "y": [p["lost"] for p in front],
            "customdata": [_knobs(p) for p in front],
            "mode": "lines+markers",
            "line": {"shape": "hv", "color": COLOURS["neutral"], "dash": "dot"},
            "marker": {"size": 6, "color": COLOURS["neutral"]},
            "name": "settings no other beats on both",
            "hovertemplate": hover,
        }
    ]
    points = (
        ("current", "today's setting", "circle-open", COLOURS["current"]),
        ("suggested", "suggested setting", "diamond", COLOURS["suggested"]),
        ("best", "cheapest on the grid", "star", COLOURS["success"]),
    )
    for key, name, symbol, colour in points:
        point = trade.get(key)
        if not point:
            continue
        traces.append(
            {
                "type": "scatter",
                "x": [point["wasted"]],
                "y": [point["lost"]],
                "customdata": [_knobs(point)],
                "mode": "markers",
                "marker": {"size": 13, "symbol": symbol, "color": colour},
                "name": f"{name} ({_knobs(point)})",
                "hovertemplate": hover,
            }
        )
    layout = _layout(
        300,
        xaxis={
            "title": {"text": "wasted calls (sent while the host was down)"},
            "rangemode": "tozero",
        },
        yaxis={"title": {"text": "lost calls (refused while it was up)"}, "rangemode": "tozero"},
    )
    current, suggested, best = trade.get("current"), trade.get("suggested"), trade.get("best")
    caption = (
        "Breaker settings replayed on this host's recorded calls "
        f"({pct(trade.get('inferred_share'))} of the window's health inferred); cost = wasted + "
        f"{value(trade.get('lost_weight'))} × lost."
    )
    for label_, point in (
        ("Today", current),
        ("Suggested", suggested),
        ("Cheapest on the grid", best),
    ):
        if point:
            caption += (
                f" {label_}: {_knobs(point)}: {_counts_text(point)}, cost {value(point['cost'])}."
            )
    title = "Trade-off: wasted against lost calls"
    return _chart("scatter", title, caption, traces, layout)
