"""The HTML tuning report: one self-contained, offline page per analysis.

``series`` aggregates the chart data in DuckDB, ``summary`` takes the words and
tables from the JSON contract, ``figures`` builds the Plotly figures, ``render``
puts them through the Jinja templates.
"""

from __future__ import annotations

from advisor.outputs.report.render import render_report, save_report

__all__ = ["render_report", "save_report"]
