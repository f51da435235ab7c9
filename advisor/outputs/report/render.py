"""Render a report-data document (``advisor.pipeline.report_data``: plain data, no
connection) as one self-contained, offline HTML page.

One Jinja environment (``autoescape=True``) per template folder, built once; the
templates live in ``reports/templates/`` (``advisor/templates`` in a wheel), and a
user folder may override any of them. Plotly's JavaScript (the vendored cartesian
bundle, ``vendor/``) is inlined once, or, for the nightly job's dated reports, loaded from
one shared file beside them; figure data sits in ``<script type="application/json">``
blocks drawn by a small script.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from advisor.metrics.series import PER_DECADE, ReportSeries
from advisor.outputs.files import atomic_write
from advisor.outputs.report import figures
from advisor.outputs.report.formatting import FILTERS, duration
from advisor.outputs.report.summary import HostView, Summary, summarize
from advisor.resources import templates_dir
from advisor.version import __version__

BASE_TEMPLATE = "base.html.j2"
VENDOR = Path(__file__).resolve().parent / "vendor"
PLOTLY_VERSION = "4.1.1"  # plotly.js of the pinned ``plotly`` Python package
PLOTLY_FILE = f"plotly-cartesian-{PLOTLY_VERSION}.min.js"  # the shared file's name
PLOTLY_SHA256 = "79542150855a52c567260e3137095dbe2b744e6d702a5cabe67da246942fba7a"


@dataclass
class CensoredRow:
    """A host whose numbers rest partly on cut-off or inferred data."""

    host: HostView
    censored_opens: int
    censored_episodes: int
    inferred_trials: int


def break_at_dots(name: str) -> Markup:
    """``name`` escaped, with a line-break opportunity (``<wbr>``) after every dot, so a
    narrow screen or a printed page breaks host names only between their labels."""
    parts = str(name).split(".")
    return Markup(".<wbr>").join(escape(part) for part in parts)


def is_compact(host: HostView) -> bool:
    """A host shown as a compact row without charts: no change suggested and no open, or
    (nightly pages) nothing new about it tonight (``brief_hosts``)."""
    return host.brief or (not host.changes and not host.metrics["opens"])


def brief_hosts(data: dict[str, Any]) -> set[str] | None:
    """In a nightly report (report data ``nightly``), the hosts shown in full: those with
    a change that is new, pending or withdrawn tonight, or confirmed no more than
    ``nights_to_confirm`` nights (so on the night it is confirmed). The others are one
    line each: their advice has not moved, and the nights before showed them in full.
    None for any other report (every host in full)."""
    nightly = data.get("nightly")
    if not nightly:
        return None
    confirm = int(nightly["rules"].get("nights_to_confirm", 0))
    return {
        a["host"]
        for a in nightly["advice"]
        if a["status"] != "confirmed" or int(a["nights_seen"]) <= confirm
    }


@cache
def environment(user_templates: str | None = None) -> jinja2.Environment:
    """The Jinja environment for ``user_templates`` (searched first) and the shipped ones."""
    loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(templates_dir())]
    if user_templates is not None:
        loaders.insert(0, jinja2.FileSystemLoader(user_templates))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    env.filters["host_name"] = break_at_dots
    env.tests["compact"] = is_compact
    return env


@cache
def plotly_bundle() -> str:
    """The vendored plotly.js cartesian bundle (``vendor/README.md``: version, checksum)."""
    return (VENDOR / "plotly-cartesian.min.js").read_text(encoding="utf-8")


@cache
def plotly_js() -> Markup:
    """Plotly's JavaScript bundle, safe to inline in a ``<script>`` element."""
    return Markup(re.sub(r"</(script)", r"<\\/\1", plotly_bundle(), flags=re.IGNORECASE))


def _host_charts(
    series: ReportSeries, trade_offs: dict[str, Any], host: HostView
) -> tuple[list[figures.Chart], list[figures.Chart]]:
    """The host's charts shown at once and those drawn only when asked for (drawing is
    what a large report costs): every host shows its timeline, a host with a change also
    its durations and streaks; a host with no change keeps those behind a click, and
    the trade-off chart, whose points the table beside the cards lists, always waits."""
    details = [figures.host_durations(series, host), figures.host_streaks(series, host)]
    shown = [figures.host_timeline(series, host), *(details if host.changes else [])]
    more = [
        *([] if host.changes else details),
        figures.host_trade_off(trade_offs.get(host.host), host),
    ]
    return [c for c in shown if c is not None], [c for c in more if c is not None]


def _host_notes(series: ReportSeries, host: HostView) -> list[str]:
    data = series.hosts[host.host]
    notes = []
    if data.censored_opens:
        notes.append(
            f"{data.censored_opens} open stay(s) still open at the window end: their durations "
            "are lower bounds."
        )
    if data.censored_episodes:
        notes.append(
            f"{data.censored_episodes} episode(s) unfinished at the window end: their durations "
            "are lower bounds."
        )
    if data.inferred_trials:
        notes.append(
            f"{data.inferred_trials} half-open trial(s) were logged as 'closed' and recognised "
            "by their timing (the pybreaker listener records the state after the call)."
        )
    return notes


def _assign_ids(charts: list[figures.Chart], start: int) -> int:
    for offset, chart in enumerate(charts):
        chart.id = f"chart-{start + offset}"
    return start + len(charts)


def context(data: dict[str, Any], plotly_src: str | None = None) -> dict[str, object]:
    """Everything the templates read (summary, fleet charts, hosts, data quality), from a
    report-data document; ``plotly_src`` as in ``render_report``."""
    summary: Summary = summarize(data)
    series = ReportSeries.from_dict(data["series"])
    trade_offs = data["trade_offs"]
    fleet = [
        chart
        for chart in (
            figures.fleet_open_time(summary.hosts),
            figures.fleet_opens(series, summary.hosts),
            figures.fleet_timeline(series, summary.hosts, data["contract"]["incidents"]),
        )
        if chart is not None
    ]
    next_id = _assign_ids(fleet, 0)
    censored = []
    full = brief_hosts(data)
    for host in summary.hosts:
        host.brief = full is not None and host.host not in full
        if not is_compact(host):
            host.charts, host.more_charts = _host_charts(series, trade_offs, host)
        next_id = _assign_ids(host.charts + host.more_charts, next_id)
        host.notes = _host_notes(series, host)
        own = series.hosts[host.host]
        if own.censored_opens or own.censored_episodes or own.inferred_trials:
            censored.append(
                CensoredRow(host, own.censored_opens, own.censored_episodes, own.inferred_trials)
            )
    return {
        "summary": summary,
        "fleet": fleet,
        "censored": censored,
        "buckets": {
            "fine": duration(series.fine.width_s),
            "coarse": duration(series.coarse.width_s),
            "per_decade": PER_DECADE,
        },
        "version": __version__,
        "plotly_js": None if plotly_src else plotly_js(),
        "plotly_src": plotly_src,
    }


def render_report(
    data: dict[str, Any],
    *,
    templates: str | Path | None = None,
    extra_sections: Markup | None = None,
    plotly_src: str | None = None,
) -> str:
    """The HTML report of a report-data document as text.

    Args:
        data: ``advisor.pipeline.report_data(analysis)``, or the same read back from a
            file (``load_report_data``).
        templates: a folder whose templates replace the shipped ones of the same name.
        extra_sections: sections rendered by another (autoescaped) template of this
            environment, placed after the data-quality section (the nightly trends).
        plotly_src: a relative URL of the Plotly bundle (``write_plotly_file``) to load
            instead of inlining it; the page's CSP then allows ``script-src 'self'``. Only
            for pages kept together with that file (the nightly job's dated reports).
    """
    env = environment(None if templates is None else str(templates))
    return env.get_template(BASE_TEMPLATE).render(
        context(data, plotly_src), extra_sections=extra_sections or ""
    )


def write_plotly_file(folder: str | Path) -> Path:
    """Write the Plotly bundle as ``PLOTLY_FILE`` into ``folder`` (atomically; skipped
    when an identical file is there) for pages rendered with ``plotly_src=PLOTLY_FILE``.

    Raises:
        UsageError: the folder cannot be written.
    """
    path = Path(folder) / PLOTLY_FILE
    bundle = plotly_bundle()
    try:
        if path.read_text(encoding="utf-8") == bundle:
            return path
    except (OSError, UnicodeDecodeError):
        pass
    return atomic_write(path, bundle, what="the Plotly script", make_parents=True)


def save_report(
    data: dict[str, Any], path: str | Path, *, templates: str | Path | None = None
) -> Path:
    """Write the HTML report of a report-data document to ``path`` (UTF-8, atomically: a
    failed write leaves the previous file intact) and return the path.

    Raises:
        UsageError: ``path`` cannot be written.
    """
    return atomic_write(path, render_report(data, templates=templates), what="the report")
