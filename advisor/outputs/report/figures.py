"""Plotly figures of the report, built in Python from ``ReportSeries``.

Each builder returns a ``Chart`` (figure JSON, made safe to sit inside a
``<script type="application/json">`` block, plus a caption that says the same in
words) or None when there is nothing to draw. Figures are plain dicts in the shape
of ``plotly.graph_objects.Figure``; arrays travel as Plotly's base64 typed arrays.
Building hundreds of validated ``go.Figure`` objects costs seconds, so they are not
validated here (the tests check every figure of a rendered page with plotly's
validators). Figures carry no template: the page script applies one light/dark
theme to all. Colours follow the Okabe-Ito palette and every meaning has its own
colour *and* pattern, marker or dash (``ENCODING``), so the charts read in grey too.
Every chart has its numbers table: the page script lists the figure's traces by x
(``ChartTable``), or a trace carries its rows ready-made in ``meta["table"]``
(state bands, heat-map cells, fleet bars, trade-off points).
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

from advisor.metrics.series import (
    FAILURE_KINDS,
    MAX_STREAK,
    PER_DECADE,
    Bands,
    Buckets,
    ReportSeries,
)
from advisor.outputs.report.axes import count_axis, duration_axis, log_duration_axis
from advisor.outputs.report.formatting import count, duration, pct, timestamp, value
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
# One encoding per meaning: (colour, bar pattern or marker symbol). Colours repeat only
# between a bar and a line or marker, never between two bars.
ENCODING = {
    "closed": ("#009E73", ""),
    "open": ("#D55E00", "/"),
    "half_open": ("#E69F00", "."),
    "429": ("#CC79A7", "-"),
    "5xx": ("#56B4E9", "x"),
    "timeout": ("#F0E442", "+"),
    "other": ("#999999", "\\"),
    "refused": ("#0072B2", "|"),
    "successes": ("#009E73", "line"),
    "retry_after": ("#CC79A7", "triangle-down"),
    "trial_ok": ("#009E73", "circle"),
    "trial_failed": ("#D55E00", "x-thin-open"),
    "incident": ("rgba(153,153,153,0.3)", ""),
}
FAILURE_NAMES = {"429": "HTTP 429", "5xx": "HTTP 5xx", "timeout": "time-outs",
                 "other": "other failures"}  # fmt: skip
TABLE_ROWS = 200  # ready-made numbers tables list at most this many rows
FLEET_ROWS = 40  # hosts in the fleet heat map and open-time bars
TIMELINE_ROWS = 12  # hosts in the fleet state timeline
BAR_GAP = 0.1  # gap between the time buckets' bars, a share of a bucket
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027"}
_TYPED = {"i1", "u1", "i2", "u2", "i4", "u4", "f4", "f8"}  # what plotly.js decodes


@dataclass(frozen=True)
class ChartTable:
    """How the page script lists the numbers behind a chart, from the figure's own traces
    (one column per trace, rows with only zeros or blanks skipped, at most 200 rows);
    traces with ``meta`` ``"setting"`` (a setting line) or ``"listed"`` (its numbers are
    in another trace's ready-made table) are left out, and a trace with
    ``meta={"table": {...}}`` is listed as that table (see ``listing``).

    ``rows``: ``ranges`` (a step histogram: row i spans x[i] to x[i + 1]), ``values``
    (one row per x) or ``time`` (one row per x, an epoch-ms time shown in UTC);
    ``cap``: the largest x stands for "this or more".
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


def listing(
    head: Sequence[str], rows: Sequence[Sequence[Any]], limit: int = TABLE_ROWS
) -> dict[str, Any]:
    """A ready-made numbers table for a trace's ``meta``: at most ``limit`` rows and how
    many more there were (the page says so under the table)."""
    return {
        "table": {
            "head": list(head),
            "rows": [list(r) for r in rows[:limit]],
            "more": max(0, len(rows) - limit),
        }
    }


def when(ms: float) -> str:
    """Epoch milliseconds as UTC time text, the way tables show times."""
    return timestamp(ms / 1000.0).rstrip("Z")


def _marker(meaning: str, **extra: Any) -> dict[str, Any]:
    """Bar marker of ``meaning``: its colour with its pattern (``ENCODING``)."""
    colour, pattern = ENCODING[meaning]
    return {"color": colour, "line": {"width": 0}, "pattern": _pattern(pattern), **extra}


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
    counts = np.vstack([series.opens[h.host] for h in rows])
    z = counts.astype(np.float32)
    z[z == 0] = np.nan  # an empty cell: no colour, no hover, no text
    grid = series.coarse
    top = int(counts.max())
    cells = [
        [h.host, when(grid.start_ms + j * grid.width_ms), int(counts[i, j])]
        for j in range(grid.count)
        for i, h in enumerate(rows)
        if counts[i, j]
    ]
    heatmap = {
        "type": "heatmap",
        "z": typed(z, "f4"),
        "x0": grid.start_ms + grid.width_ms / 2,
        "dx": grid.width_ms,
        "y": [plotly_text(h.host) for h in rows],
        "colorscale": [[0, "#FDD0A2"], [0.5, "#E6550D"], [1, "#7F2704"]],
        "zmin": 0.5,
        "zmax": max(1.5, top + 0.5),
        "xgap": 1,
        "ygap": 1,
        "colorbar": {
            "title": {"text": "opens"},
            "thickness": 12,
            "tickformat": "d",
            "tick0": 0,
            "dtick": count_axis(top)["dtick"],
        },
        "hoverongaps": False,
        "hovertemplate": "%{y}<br>%{x|%Y-%m-%d %H:%M}: %{z} opens<extra></extra>",
        "name": "opens",
        "meta": listing(["host", f"{duration(grid.width_s)} bucket from (UTC)", "opens"], cells),
    }
    if z.size <= 2000:
        heatmap["text"] = [[str(int(n)) if n else "" for n in row] for row in counts.tolist()]
        heatmap["texttemplate"] = "%{text}"
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
    table = ChartTable("opens per host and time")
    return _chart("heatmap", "Opens per host over time", caption, [heatmap], layout, table=table)


def fleet_open_time(hosts: Sequence[HostView]) -> Chart | None:
    """Bars: share of its active time each host's breaker was open (not closed)."""
    rows = sorted((h for h in hosts if h.open_fraction > 0), key=lambda h: -h.open_fraction)
    shown = rows[:FLEET_ROWS]
    if not shown:
        return None
    listed = [[h.host, pct(h.open_fraction), duration(h.metrics["open_time_s"])] for h in shown]
    bars = {
        "type": "bar",
        "orientation": "h",
        "x": typed([h.open_fraction * 100 for h in shown], "f4"),
        "y": [plotly_text(h.host) for h in shown],
        "text": [pct(h.open_fraction) for h in shown],
        "textposition": "outside",
        "cliponaxis": False,
        "marker": _marker("open"),
        "hovertemplate": "%{y}: open %{text} of its active time<extra></extra>",
        "name": "open time",
        "meta": listing(["host", "open, % of its active time", "open time"], listed),
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
    table = ChartTable("open time per host")
    return _chart("bar", "Open time per host", caption + ".", [bars], layout, table=table)


STATE_NAMES = {"open": "open (with its half-open trials)", "half_open": "half-open only"}


def _band_traces(bands_by_row: Sequence[Bands], names: Sequence[str]) -> list[dict[str, Any]]:
    """Horizontal bars for open and half-open bands; row ``i`` (host ``names[i]``) is drawn
    at ``y = i``. The first trace lists every band in its numbers table."""
    traces, listed = [], []
    for state in ("open", "half_open"):
        base, length, ys, data = [], [], [], []
        for row, bands in enumerate(bands_by_row):
            for i in range(len(bands)):
                if (bands.opens[i] > 0) != (state == "open"):
                    continue
                base.append(bands.start_ms[i])
                length.append(max(bands.end_ms[i] - bands.start_ms[i], 1.0))
                ys.append(row)
                data.append((bands.opens[i], bands.open_s[i], bands.half_opens[i]))
                end = when(bands.end_ms[i]) + (" (still open)" if bands.censored[i] else "")
                listed.append(
                    [names[row], state.replace("_", "-"), when(bands.start_ms[i]), end,
                     duration(bands.open_s[i]), int(bands.opens[i]), int(bands.half_opens[i])]
                )  # fmt: skip
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
                "marker": _marker(state),
                "name": STATE_NAMES[state],
                "meta": "listed",
                "hovertemplate": (
                    "opened %{customdata[0]}×, half-open %{customdata[2]}×, open "
                    "%{customdata[1]:.0f} s<extra>" + state.replace("_", "-") + "</extra>"
                ),
            }
        )
    if traces:
        head = ["host", "state", "from (UTC)", "to (UTC)", "open", "opens", "half-open"]
        listed.sort(key=lambda r: (r[2], r[0]))
        traces[0]["meta"] = listing(head, listed)
    return traces


def _states_text(traces: Sequence[dict[str, Any]]) -> str:
    """The states a timeline draws, in the words of its legend."""
    names = [t["name"] for t in traces if t.get("name") in (*STATE_NAMES.values(), "closed")]
    parts = {
        "closed": "closed the pale band",
        STATE_NAMES["open"]: "open hatched (/), including its brief half-open trials",
        STATE_NAMES["half_open"]: "half-open only (no open in the band) dotted",
    }
    return ", ".join(parts[n] for n in names)


def _closed_trace(series: ReportSeries, rows: int) -> dict[str, Any]:
    return {
        "type": "bar",
        "orientation": "h",
        "base": typed(np.full(rows, series.start_ms), "f8"),
        "x": typed(np.full(rows, series.end_ms - series.start_ms), "f8"),
        "y": typed(np.arange(rows), "u1" if rows < 256 else "u2"),
        "width": 0.7,
        "marker": _marker("closed", opacity=0.3),
        "name": "closed",
        "meta": "listed",  # the window itself: the bands table lists what was not closed
        "hoverinfo": "skip",
    }


def _incident_traces(incidents: Sequence[dict[str, Any]], rows: int) -> list[dict[str, Any]]:
    """Fleet incidents as grey shading over all rows, the hosts named on hover."""
    traces = []
    listed = []
    for k, incident in enumerate(incidents):
        start = _epoch_ms(incident["start"])
        end = max(_epoch_ms(incident["end"]), start + 1000.0)
        hosts = ", ".join(incident["hosts"])
        listed.append([when(start), when(end), len(incident["hosts"]), hosts])
        traces.append(
            {
                "type": "scatter",
                "x": [start, end, end, start, start],
                "y": [-0.5, -0.5, rows - 0.5, rows - 0.5, -0.5],
                "fill": "toself",
                "fillcolor": ENCODING["incident"][0],
                "line": {"width": 1, "color": "#999999", "dash": "dot"},
                "mode": "lines",
                "hoveron": "fills",
                "text": plotly_text(
                    f"fleet incident {when(start)}–{when(end)[11:]}: "
                    f"{len(incident['hosts'])} hosts opened together: {hosts}"
                ),
                "hoverinfo": "text",
                "name": "fleet incident (hover for its hosts)",
                "legendgroup": "incident",
                "showlegend": k == 0,
                "meta": "listed",
            }
        )
    if traces:
        head = ["fleet incident from (UTC)", "to (UTC)", "hosts", "which"]
        traces[0]["meta"] = listing(head, listed)
    return traces


def _epoch_ms(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000.0


def fleet_timeline(
    series: ReportSeries, hosts: Sequence[HostView], incidents: Sequence[dict[str, Any]] = ()
) -> Chart | None:
    """State bands of the hosts that need attention, on one time axis, with the fleet
    incidents (contract ``incidents``) shaded and their hosts named."""
    rows = [h for h in hosts if h.changes or len(series.hosts[h.host].bands)][:TIMELINE_ROWS]
    if not rows:
        return None
    names = [h.host for h in rows]
    traces = [_closed_trace(series, len(rows))]
    traces += _band_traces([series.hosts[h.host].bands for h in rows], names)
    traces += _incident_traces(incidents, len(rows))
    layout = _layout(
        110 + 26 * len(rows),
        barmode="overlay",
        margin={"l": 200},
        xaxis=_time_axis(series),
        yaxis={
            "tickvals": list(range(len(rows))),
            "ticktext": [plotly_text(h.host) for h in rows],
            "range": [len(rows) - 0.5, -0.5],
            "automargin": True,
            "fixedrange": True,
        },
    )
    caption = (
        f"Breaker state of the {len(rows)} hosts needing attention: {_states_text(traces)}; "
        "stays less than "
        f"{duration((series.end_ms - series.start_ms) / 600_000)} apart are drawn as one band."
    )
    if incidents:
        caption += (
            f" Grey shading: {len(incidents)} fleet incident(s), many hosts opening together "
            "(hover or see the table for their hosts)."
        )
    table = ChartTable("state bands")
    return _chart(
        "timeline", "State timeline of the hosts needing attention", caption, traces, layout,
        table=table,
    )  # fmt: skip


# ----------------------------------------------------------------------------- one host

TIME_HOVER = "%{x|%Y-%m-%d %H:%M:%S}"


def _sparse(values: np.ndarray) -> dict[str, str]:
    """Counts as floats with NaN for zero: markers drawn only where something happened."""
    out = values.astype(np.float32)
    out[out == 0] = np.nan
    return typed(out, "f4")


def _bucket_bars(
    grid: Buckets, values: np.ndarray, below: np.ndarray | None = None
) -> dict[str, Any]:
    """A bar trace's positions and heights over the fine buckets: the non-zero buckets
    only (x listed, bars as wide as a bucket less the gap) when that is the shorter
    JSON, else every bucket (``x0``/``dx``). Plotly draws every bar, zero or not, so a
    sparse trace also draws faster. ``below``: the stack's base (a stacked kind)."""
    x0, dx = grid.start_ms + grid.width_ms / 2, grid.width_ms
    base = np.zeros_like(values) if below is None else below
    stacked = bool(base.any())
    top = int(max(values.max(initial=0), base.max(initial=0)))
    per_value = (1 if top < 256 else 2 if top < 65536 else 4) * (2 if stacked else 1)
    where = np.flatnonzero(values)
    if where.size * (8 + per_value) < values.size * per_value:
        trace: dict[str, Any] = {
            "x": typed(x0 + where.astype(np.float64) * dx, "f8"),  # as x0 + i * dx in JS
            "y": _counts(values[where]),
            "width": dx * (1 - BAR_GAP),
        }
        if stacked and base[where].any():
            trace["base"] = _counts(base[where])
        return trace
    trace = {"x0": x0, "dx": dx, "y": _counts(values)}
    if stacked:
        trace["base"] = _counts(base)
    return trace


def _failure_traces(
    series: ReportSeries, host: HostView
) -> tuple[list[dict[str, Any]], int, list[str]]:
    """Failures per fine bucket stacked by kind (429, 5xx, time-outs, other: each bar
    starts where the kind below it ends); also the tallest stack and each kind's total
    in words."""
    data, grid = series.hosts[host.host], series.fine
    if not data.failures.any():
        return [], 0, []
    kinds = dict(data.failure_kinds)
    if kinds:
        split = np.sum([kinds[k] for k in FAILURE_KINDS if k in kinds], axis=0)
        kinds["other"] = data.failures - split
    else:  # a document saved before failures were split
        kinds = {"other": data.failures}
    traces, totals = [], []
    below = np.zeros_like(data.failures)
    for kind in (*FAILURE_KINDS, "other"):
        values = kinds.get(kind)
        if values is None or not values.any():
            continue
        name = FAILURE_NAMES[kind] if len(kinds) > 1 else "failures"
        trace = {
            "type": "bar",
            **_bucket_bars(grid, values, below),
            "yaxis": "y2",
            "marker": _marker(kind),
            "name": name,
            "hovertemplate": TIME_HOVER + ": %{y} " + name + "<extra></extra>",
        }
        traces.append(trace)
        totals.append(f"{count(int(values.sum()))} {name}")
        below = below + values
    return traces, int(data.failures.max()), totals


def _call_traces(series: ReportSeries, host: HostView) -> tuple[list[dict[str, Any]], int]:
    """Refused calls (bars) and successes (a line) per fine bucket; also the top value."""
    data, grid = series.hosts[host.host], series.fine
    traces: list[dict[str, Any]] = []
    top = 0
    if data.refused.any():
        traces.append(
            {
                "type": "bar",
                **_bucket_bars(grid, data.refused),
                "yaxis": "y4",
                "marker": _marker("refused"),
                "name": "refused by the breaker",
                "hovertemplate": TIME_HOVER + ": %{y} calls refused<extra></extra>",
            }
        )
        top = int(data.refused.max())
    if data.successes.any() and traces:
        traces.append(
            {
                "type": "scatter",
                "x0": grid.start_ms + grid.width_ms / 2,
                "dx": grid.width_ms,
                "y": _counts(data.successes),
                "yaxis": "y4",
                "mode": "lines",
                "line": {"color": ENCODING["successes"][0], "width": 1.5, "shape": "hvh"},
                "name": "successes",
                "hovertemplate": TIME_HOVER + ": %{y} successes<extra></extra>",
            }
        )
        top = max(top, int(data.successes.max()))
    return traces, top


def _trial_traces(series: ReportSeries, host: HostView) -> tuple[list[dict[str, Any]], int]:
    """Half-open trial outcomes per coarse bucket as markers (none where zero)."""
    data, grid = series.hosts[host.host], series.coarse
    traces = []
    for values, name, meaning in (
        (data.trial_successes, "trials succeeded", "trial_ok"),
        (data.trial_failures, "trials failed", "trial_failed"),
    ):
        if not values.any():
            continue
        colour, symbol = ENCODING[meaning]
        traces.append(
            {
                "type": "scatter",
                "x0": grid.start_ms + grid.width_ms / 2,
                "dx": grid.width_ms,
                "y": _sparse(values),
                "yaxis": "y5",
                "mode": "markers",
                "name": name,
                "marker": {"color": colour, "symbol": symbol, "size": 9,
                           "line": {"width": 2, "color": colour}},
                "hovertemplate": TIME_HOVER + ": %{y} " + name + "<extra></extra>",
            }
        )  # fmt: skip
    top = int(max(data.trial_successes.max(initial=0), data.trial_failures.max(initial=0)))
    return traces, top


def _domains(weights: dict[str, float], gap: float = 0.06) -> dict[str, list[float]]:
    """Vertical panel domains, top to bottom, sized by ``weights``."""
    free = 1.0 - gap * (len(weights) - 1)
    total = sum(weights.values())
    domains, top = {}, 1.0
    for name, weight in weights.items():
        bottom = max(0.0, top - free * weight / total)
        domains[name] = [round(bottom, 4), round(top, 4)]
        top = bottom - gap
    return domains


def host_timeline(series: ReportSeries, host: HostView) -> Chart | None:
    """One time axis, up to four panels: breaker state bands; failures per bucket by
    kind with the Retry-After values seen; calls refused by the breaker with the
    successes; half-open trial outcomes."""
    data = series.hosts[host.host]
    failures, fail_top, fail_totals = _failure_traces(series, host)
    calls, call_top = _call_traces(series, host)
    trials, trial_top = _trial_traces(series, host)
    retry = ~np.isnan(data.retry_after_max)
    if not (len(data.bands) or failures or calls or retry.any() or trials):
        return None
    coarse = series.coarse
    bands = [_closed_trace(series, 1), *_band_traces([data.bands], [host.host])]
    traces = bands + failures
    if retry.any():
        traces.append(
            {
                "type": "scatter",
                "x0": coarse.start_ms + coarse.width_ms / 2,
                "dx": coarse.width_ms,
                "y": typed(data.retry_after_max, "f4"),  # NaN: no Retry-After in that bucket
                "yaxis": "y3",
                "mode": "markers",
                "marker": {"symbol": ENCODING["retry_after"][1], "size": 9,
                           "color": ENCODING["retry_after"][0]},
                "name": f"Retry-After, s (max per {duration(coarse.width_s)}, right axis)",
                "hovertemplate": TIME_HOVER + ": Retry-After up to %{y} s<extra></extra>",
            }
        )  # fmt: skip
    traces += calls + trials
    weights = {"state": 0.35, "failures": 1.0}
    if calls:
        weights["calls"] = 1.0
    if trials:
        weights["trials"] = 0.6
    domains = _domains(weights)
    bottom = f"y{ {'failures': 2, 'calls': 4, 'trials': 5}[list(weights)[-1]] }"
    layout = _layout(
        150 + 110 * (len(weights) - 1),
        barmode="overlay",
        bargap=BAR_GAP,
        xaxis=_time_axis(series, anchor=bottom),
        yaxis={
            "domain": domains["state"], "tickvals": [0], "ticktext": ["state"],
            "range": [-0.5, 0.5], "fixedrange": True,
        },
        yaxis2=count_axis(fail_top, domain=domains["failures"], title={"text": "failures"}),
        margin={"r": 70},
    )  # fmt: skip
    if retry.any():
        layout["yaxis3"] = duration_axis(
            float(np.nanmax(data.retry_after_max)),
            overlaying="y2", side="right", showgrid=False,
            title={"text": "Retry-After"},
        )  # fmt: skip
    if calls:
        layout["yaxis4"] = count_axis(call_top, domain=domains["calls"], title={"text": "calls"})
    if trials:
        layout["yaxis5"] = count_axis(trial_top, domain=domains["trials"],
                                      title={"text": "trials"})  # fmt: skip
    caption = _timeline_caption(series, host, bands, fail_totals, calls, trials)
    title = "State, failures by kind, refused calls and half-open trials over time"
    table = ChartTable("time (UTC, middle of the bucket)", rows="time")
    return _chart("timeline", title, caption, traces, layout, table=table)


def _timeline_caption(
    series: ReportSeries,
    host: HostView,
    bands: list[dict[str, Any]],
    failures: list[str],
    calls: list[dict[str, Any]],
    trials: list[dict[str, Any]],
) -> str:
    """The timeline in words: every panel drawn, with the totals of its series."""
    data, m = series.hosts[host.host], host.metrics
    per = duration(series.fine.width_s)
    text = (
        f"Top: breaker state ({_states_text(bands)}); {m['opens']} opens, open "
        f"{pct(host.open_fraction)} of its active time."
    )
    if failures:
        text += f" Failures per {per} by kind (stacked): {', '.join(failures)}."
    ra = m["retry_after_s"]
    if ra["count"]:
        text += f" Triangles: Retry-After seen {count(ra['count'])}×, up to {duration(ra['max'])}."
    if calls:
        refused, ok = int(data.refused.sum()), int(data.successes.sum())
        text += (
            f" Calls per {per}: {count(refused)} refused by the breaker (bars, |), "
            f"{count(ok)} successes (line): successes right after a reopening mean the "
            "host was back before the breaker let calls through."
        )
    if trials:
        text += (
            f" Bottom: half-open trials per {duration(series.coarse.width_s)}: "
            f"{count(int(data.trial_successes.sum()))} succeeded (circles), "
            f"{count(int(data.trial_failures.sum()))} failed (×)."
        )
    return text


def _edges(bins: Sequence[int]) -> np.ndarray:
    return 10 ** (np.arange(min(bins), max(bins) + 2) / PER_DECADE)


DURATION_KINDS: dict[str, tuple[str, str, str, dict[str, Any]]] = {
    "open": ("open stays", "open", "square", {"fill": "tozeroy", "fillpattern": {"shape": "/"}}),
    "episode": ("episodes (open → closed)", "successes", "diamond-open",
                {"line": {"shape": "hv", "dash": "dash"}}),
}  # fmt: skip


def _duration_values(
    values: dict[str, list[tuple[float, int, int]]],
) -> tuple[list[dict[str, Any]], list[float], int]:
    """A few durations drawn as themselves: a marker on a stem per distinct value."""
    traces, xs, top = [], [], 0
    for what, (name, meaning, symbol, _) in DURATION_KINDS.items():
        points = values.get(what, [])
        if not points:
            continue
        colour = ENCODING[meaning][0]
        ys = [n for _, n, _ in points]
        traces.append(
            {
                "type": "scatter",
                "x": [s for s, _, _ in points],
                "y": ys,
                "customdata": [f", {c} cut off at the window end" if c else "" for *_, c in points],
                "mode": "markers",
                "marker": {"symbol": symbol, "size": 11, "color": colour,
                           "line": {"width": 2, "color": colour}},
                "error_y": {"type": "data", "symmetric": False, "array": [0] * len(ys),
                            "arrayminus": ys, "width": 0, "color": colour, "thickness": 2},
                "name": name,
                "hovertemplate": "%{x:.4g} s: %{y}×%{customdata}<extra>" + what + "</extra>",
            }
        )  # fmt: skip
        xs += [s for s, _, _ in points]
        top = max(top, *ys)
    return traces, xs, top


def _duration_bins(
    data: dict[str, dict[int, tuple[int, int]]],
) -> tuple[list[dict[str, Any]], list[float], int]:
    """Many durations as step histograms on log-spaced bins."""
    bins = [b for what in data.values() for b in what]
    edges = _edges(bins)
    first = min(bins)
    traces, top = [], 0
    for what, (name, meaning, _, style) in DURATION_KINDS.items():
        counts = [data[what].get(first + i, (0, 0))[0] for i in range(len(edges) - 1)]
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
                "marker": {"color": ENCODING[meaning][0]},
                "hovertemplate": "from %{x:.3s} s: %{y}<extra>" + what + "</extra>",
                **style,
            }
        )
        top = max(top, *counts)
    return traces, [float(edges[0]), float(edges[-1])], top


def host_durations(series: ReportSeries, host: HostView) -> Chart | None:
    """Open and episode durations, with current and suggested reset_timeout_s: each value
    when the host had a few, else histograms on log-spaced bins."""
    own = series.hosts[host.host]
    data = own.durations
    if not any(data.values()):
        return None
    few = all(own.duration_values.get(what) for what, bins in data.items() if bins)
    if few:
        traces, xs, top = _duration_values(own.duration_values)
    else:
        traces, xs, top = _duration_bins(data)
    lines, setting_xs = _setting_lines(host, "reset_timeout_s", lambda v: v, (0, top * 1.08), " s")
    low, high = min([*xs, *setting_xs]), max([*xs, *setting_xs])
    layout = _layout(
        260,
        xaxis=log_duration_axis(low / 1.6, high * 1.6, title={"text": "duration (log scale)"}),
        yaxis=count_axis(top, title={"text": "count"}),
    )
    m = host.metrics
    od, ed = m["open_duration_s"], m["episode_duration_s"]
    caption = (
        f"{m['opens']} open stays (p50 {duration(od['p50'])}, p90 {duration(od['p90'])}, "
        f"longest {duration(od['max'])}) and {m['episodes']} episodes (p50 "
        f"{duration(ed['p50'])}, longest {duration(ed['max'])})"
        + (": each value drawn as a marker on a stem as high as its count. " if few else
           ", counted in bins of x1.58. ")
        + "Dotted line: current reset_timeout_s; dashed: suggested (values in the legend)."
    )  # fmt: skip
    table = ChartTable("duration, seconds", rows="values" if few else "ranges")
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
    listed = [
        [label_, p["fail_max"], p["reset_timeout_s"], p["wasted"], p["lost"], value(p["cost"])]
        for label_, p in (
            *((name, trade.get(key)) for key, name in
              (("current", "today"), ("suggested", "suggested"), ("best", "cheapest"))),
            *(("front", p) for p in front),
        )
        if p
    ]  # fmt: skip
    head = ["setting", "fail_max", "reset_timeout_s", "wasted", "lost", "cost"]
    traces[0]["meta"] = listing(head, listed)
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
                "meta": "listed",
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
    table = ChartTable("settings replayed")
    return _chart("scatter", title, caption, traces, layout, table=table)
