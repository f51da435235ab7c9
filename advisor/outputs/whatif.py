"""Terminal output of ``breaker-advisor replay``: settings side by side, and the grid's
Pareto front."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from advisor.advice.replay.whatif import WhatIf

ROWS = (
    ("fail_max", "fail_max"),
    ("reset_timeout_s", "reset_timeout_s"),
    ("success_threshold", "success_threshold"),
    ("wasted", "wasted (calls into a down host)"),
    ("lost", "lost (calls refused while up)"),
    ("cost", "cost = wasted + w x lost"),
    ("opens", "opens"),
    ("outages_detected", "outages it opened in"),
    ("detect_s", "detect p50 (s)"),
    ("resume_s", "resume p50 (s)"),
)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}" if value == int(value) else f"{value:.1f}"
    return str(value)


def render_what_if(result: WhatIf, console: Console) -> None:
    """Print the header line, the side-by-side table and, after a grid search, the
    best setting and the Pareto front."""
    window = result.window.to_dict()
    console.print(
        f"{result.host}: window {window['start']} .. {window['end']} ({window['seconds']} s), "
        f"{result.arrivals} calls arrived, {result.refused} refused by the breaker; health "
        f"inferred for {result.inferred_share:.0%} of the window; "
        f"cost = wasted + {result.lost_weight:g} x lost",
        highlight=False,
    )
    columns: list[tuple[str, dict[str, Any]]] = [
        ("recorded", result.recorded),
        ("current (replayed)", result.current.to_dict(result.lost_weight)),
    ]
    if result.candidate.setting != result.current.setting:
        columns.append(("candidate", result.candidate.to_dict(result.lost_weight)))
    if result.best is not None:
        columns.append(("best of grid", result.best.to_dict(result.lost_weight)))
    table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False)
    table.add_column("")
    for title, _ in columns:
        table.add_column(title, justify="right", no_wrap=True)
    for key, label in ROWS:
        table.add_row(label, *(_cell(values.get(key)) for _, values in columns))
    console.print(table)
    if result.search is not None:
        rows, cols = result.search.grid.shape
        console.print(
            f"Pareto front of (wasted, lost) over {rows} x {cols} settings "
            "(no other setting is better on both):",
            highlight=False,
        )
        best = result.search.point(*result.search.best_cell())
        front = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False)
        for title in ("fail_max", "reset_timeout_s", "wasted", "lost", "cost", "opens", ""):
            front.add_column(title, justify="right", no_wrap=True)
        for point in result.search.front():
            mark = "<- lowest cost" if point == best else ""
            front.add_row(
                *(_cell(point[k]) for k in ("fail_max", "reset_timeout_s", "wasted", "lost")),
                _cell(point["cost"]),
                _cell(point["opens"]),
                mark,
            )
        console.print(front)
