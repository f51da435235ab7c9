"""The HTML tuning report: one self-contained, offline page per analysis, rendered
from a report-data document (``advisor.pipeline.report_data``: plain data, no connection).

``summary`` takes the words and tables from the document's JSON contract, ``figures``
builds the Plotly figures from its chart series (``advisor.metrics.series``) and
trade-off points, ``render`` puts them through the Jinja templates, ``data`` saves a
document and reads one back.
"""

from __future__ import annotations

from advisor.outputs.report.data import load_report_data, save_report_data, save_report_from
from advisor.outputs.report.render import render_report, save_report

__all__ = [
    "load_report_data",
    "render_report",
    "save_report",
    "save_report_data",
    "save_report_from",
]
