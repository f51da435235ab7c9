"""Terminal table of per-host metrics, most attention first (rich)."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from advisor.model import Analysis, Recommendation
from advisor.text import printable


def _num(value: float | None, fmt: str = "{:.0f}") -> str:
    return "-" if value is None else fmt.format(value)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def _change(rec: Recommendation, host: str) -> str:
    now = "-" if rec.current is None else rec.current
    text = f"{rec.parameter} {now}→{rec.suggested} ({rec.confidence})"
    if rec.rate_spec is not None:  # as the deployment guide writes rate limits
        text += f" --rate {host}={rec.rate_spec}"
    return text


def render(analysis: Analysis, console: Console) -> None:
    """Print the window line and one row per host, sorted by attention."""
    window = analysis.window.to_dict()
    console.print(
        f"window {window['start']} .. {window['end']} ({window['seconds']} s), "
        f"{len(analysis.hosts)} hosts, "
        f"{sum(1 for s in analysis.sources if s.readable)}/{len(analysis.sources)} sources read",
        highlight=False,
    )
    table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False)
    table.add_column("host", no_wrap=True)
    for title in ("calls", "fail", "429/5xx", "opens", "open", "episodes p50", "half-open ok"):
        table.add_column(title, justify="right", no_wrap=True)
    table.add_column("advice")
    seconds = analysis.window.seconds or 1.0
    for host in analysis.attention_order():
        m = host.metrics
        ho = m["half_open_trials"]
        half_open = "-" if not ho else f"{m['half_open_successes']}/{ho}"
        advice = "; ".join(_change(r, host.host) for r in host.changes) or "; ".join(
            f"note: {r.rule}" for r in host.recommendations
        )
        roles = "; ".join(  # a role's own breaker (docs/design.md "Breakers")
            f"{b.role}: {_change(r, host.host)}" for b in host.role_breakers for r in b.changes
        )
        advice = "; ".join(a for a in (advice, roles) if a)
        table.add_row(
            Text(printable(host.label)),  # a resolver's breaker: "crossref (resolver)"
            str(m["calls"]),
            _pct(m["failure_rate"] if m["successes"] + m["failures"] else None),
            f"{m['status_429']}/{m['status_5xx']}",
            str(m["opens"]),
            f"{m['open_time_s'] / (m.get('active_s') or seconds) * 100:.0f}%",
            f"{m['episodes']} {_num(m['episode_duration_s']['p50'], '{:.0f}s')}",
            half_open,
            Text(advice or "-"),
        )
    console.print(table)
    if any(host.roles for host in analysis.hosts):
        console.print(_roles_table(analysis))


def _roles_table(analysis: Analysis) -> Table:
    """``--by role``: each host's own breaker's calls, failures and refused calls per role."""
    table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False,
                  title="by role (the host's shared breaker)")  # fmt: skip
    table.add_column("host", no_wrap=True)
    table.add_column("role", no_wrap=True)
    for title in ("calls", "failures", "refused"):
        table.add_column(title, justify="right", no_wrap=True)
    for host in analysis.attention_order():
        for entry in host.roles or []:
            role = "-" if entry["role"] is None else printable(str(entry["role"]))
            table.add_row(
                Text(printable(host.label)), Text(role), str(entry["calls"]),
                str(entry["failures"]), str(entry["refused"]),
            )  # fmt: skip
    return table
