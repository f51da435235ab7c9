"""The Python API for notebooks and scripts: ``analyze`` and ``what_if`` from the
pipeline, an ``Analysis`` that also answers as DataFrames, Plotly figures, an HTML
report, a ``breakers.yaml`` patch and Jupyter's rich display, and a ``WhatIf`` with its
counts as a DataFrame.

Pandas, Plotly and kaleido load only when a method asks for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor import model, pipeline
from advisor.advice.replay import whatif
from advisor.advice.replay.grid import Grid
from advisor.config import BreakerConfig
from advisor.model import HostResult
from advisor.text import html_table

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

__all__ = ["Analysis", "HostResult", "WhatIf", "analyze", "static_figures", "what_if"]


class Analysis(model.Analysis):
    """An ``advisor.model.Analysis`` with notebook views: DataFrames, figures, report."""

    @classmethod
    def of(cls, analysis: model.Analysis) -> Analysis:
        """The same analysis with the notebook views."""
        return cls(**{f.name: getattr(analysis, f.name) for f in fields(analysis)})

    def __repr__(self) -> str:
        # the dataclass repr runs to pages (every host's metrics, temporary snapshot paths)
        window = self.window.to_dict()
        return (
            f"<Analysis {window['start']} .. {window['end']}: {_n(self.sources, 'source')}, "
            f"{_n(self.hosts, 'host')}, {_change_count(self)} suggested changes>"
        )

    def open_time_order(self) -> list[HostResult]:
        """Hosts by time their breaker spent open in the window, longest first (then by
        opens, then by name): where a timeline and its episodes have most to show."""
        return sorted(
            self.hosts, key=lambda h: (-h.metrics["open_time_s"], -h.metrics["opens"], h.host)
        )

    # --- DataFrames -----------------------------------------------------------------

    def sql(self, query: str, params: dict[str, Any] | list[Any] | None = None) -> pd.DataFrame:
        """Run SQL on the attached, normalised relations (``events``, ``open_intervals``,
        ``episodes``, ``half_open_trials``; sources as ``s0``, ``s1``...) -> DataFrame."""
        from advisor.outputs.frames import relation_frame

        return relation_frame(self.con, query, params)

    @property
    def metrics(self) -> pd.DataFrame:
        """One row per host (index), the contract's metric fields as columns."""
        from advisor.outputs.frames import metrics_frame

        return metrics_frame([h.to_dict() for h in self.hosts])

    @property
    def recommendations(self) -> pd.DataFrame:
        """One row per recommendation (and note), hosts in contract order."""
        from advisor.outputs.frames import recommendations_frame

        return recommendations_frame([h.to_dict() for h in self.hosts])

    @property
    def roles(self) -> pd.DataFrame:
        """``--by role`` as a DataFrame: one row per host and role, the calls, failures
        and refused calls of the host's own breaker (shared by its roles)."""
        import pandas as pd

        if all(h.roles is None for h in self.hosts):
            pipeline.attach_roles(self)
        rows = [{"host": h.host, **entry} for h in self.hosts for entry in h.roles or []]
        return pd.DataFrame(rows, columns=["host", "role", "calls", "failures", "refused"])

    @property
    def events(self) -> pd.DataFrame:
        """Every normalised event of the sources (all times, not only the window)."""
        return self.sql("SELECT * FROM events ORDER BY host, ts")

    @property
    def open_intervals(self) -> pd.DataFrame:
        """Stays in ``open`` overlapping the window (``in_window``, ``censored``...)."""
        return self.sql("SELECT * FROM open_intervals")

    @property
    def episodes(self) -> pd.DataFrame:
        """Outage episodes that began in the window."""
        return self.sql("SELECT * FROM episodes")

    @property
    def half_open_trials(self) -> pd.DataFrame:
        """Calls that reached a host while its breaker was half-open, in the window."""
        return self.sql("SELECT * FROM half_open_trials")

    # --- figures, report and rich display -------------------------------------------

    def timeline(self, host: str) -> go.Figure:
        """Plotly state timeline of one host (renders inline in Jupyter)."""
        from advisor.outputs import notebook

        return notebook.timeline(self.report_data(), host)

    def fleet_heatmap(self) -> go.Figure:
        """Plotly heat map of opens per host over time."""
        from advisor.outputs import notebook

        return notebook.fleet_heatmap(self.report_data())

    def fleet_timeline(self) -> go.Figure:
        """Plotly state timelines of the hosts that need attention."""
        from advisor.outputs import notebook

        return notebook.fleet_timeline(self.report_data())

    def report_data(self) -> dict[str, Any]:
        """Everything the HTML report shows, as plain JSON-able data
        (``advisor.pipeline.report_data``)."""
        return pipeline.report_data(self)

    def report(self, path: str | Path) -> Path:
        """Write the self-contained HTML tuning report to ``path``."""
        from advisor.outputs.report import save_report

        return Path(save_report(self.report_data(), path))

    save_html = report

    # --- breakers.yaml --------------------------------------------------------------

    def yaml_patch(self) -> str:
        """The suggested changes as a ``breakers.yaml`` fragment with the reasons as
        comments (``breaker-advise --format yaml``)."""
        from advisor.outputs.patch import yaml_fragment

        return yaml_fragment(self.hosts)

    def write_config(self, path: str | Path) -> Path:
        """Write the analysed ``breakers.yaml`` with every suggested change applied to
        the new file ``path`` (``--write-config``); the analysed file is never written.

        Raises:
            UsageError: ``path`` is the analysed configuration, or cannot be written.
        """
        from advisor.outputs.patch import write_config

        return write_config(self.hosts, self.config.path, path)

    def _repr_html_(self) -> str:
        window = self.window.to_dict()
        rows = [
            [
                h.host,
                h.metrics["calls"],
                h.metrics["opens"],
                f"{h.metrics['open_time_s']:.0f} s",
                "; ".join(
                    f"{r.parameter} {'—' if r.current is None else r.current} → {r.suggested}"
                    for r in h.changes
                )
                or "—",
            ]
            for h in self.attention_order()
        ]
        caption = (
            f"{window['start']} .. {window['end']}: {len(self.hosts)} hosts, "
            f"{_change_count(self)} suggested changes"
        )
        return html_table(caption, ["host", "calls", "opens", "open time", "advice"], rows)


def _change_count(analysis: model.Analysis) -> int:
    return sum(len(h.changes) for h in analysis.hosts)


def _n(items: Sequence[Any], noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


class WhatIf(whatif.WhatIf):
    """An ``advisor.advice.replay.whatif.WhatIf`` with its counts as a DataFrame."""

    @classmethod
    def of(cls, result: whatif.WhatIf) -> WhatIf:
        """The same what-if with the notebook view."""
        return cls(**{f.name: getattr(result, f.name) for f in fields(result)})

    @property
    def frame(self) -> pd.DataFrame:
        """Settings and counts (rows) of the recorded night, today's setting replayed,
        the candidate and the grid's best (columns), as ``breaker-advisor replay``."""
        from advisor.outputs.frames import what_if_frame

        return what_if_frame(self.to_dict())

    def _repr_html_(self) -> str:
        return str(self.frame.to_html(na_rep="—"))


def static_figures(width: int = 900, scale: float = 1.0) -> None:
    """Have Jupyter show each Plotly figure as a PNG beside the interactive one, so a
    saved notebook shows its charts where no JavaScript runs (GitHub, nbviewer).

    kaleido draws the PNGs in the installed Chromium, offline (plotly.js from the plotly
    package, no MathJax).

    Raises:
        UsageError: kaleido is not installed (``pip install -e '.[test]'``).
    """
    from advisor.outputs import notebook

    notebook.static_figures(width=width, scale=scale)


def analyze(
    sources: Sequence[str | Path] | str | Path,
    *,
    window_s: float = 3600,
    until: str | float | datetime | None = "now",
    hosts: Sequence[str] | None = None,
    config: str | Path | BreakerConfig | None = None,
    rules: str | Path | None = None,
    lost_weight: float | None = None,
) -> Analysis:
    """``advisor.pipeline.analyze`` (same arguments, errors and result), with the
    notebook views."""
    return Analysis.of(
        pipeline.analyze(
            sources,
            window_s=window_s,
            until=until,
            hosts=hosts,
            config=config,
            rules=rules,
            lost_weight=lost_weight,
        )
    )


def what_if(
    sources: Sequence[str | Path] | str | Path,
    *,
    host: str,
    grid: Grid | int | None = None,
    **options: Any,
) -> WhatIf:
    """``advisor.pipeline.what_if``: ``host``'s recorded calls replayed under today's
    setting and a candidate (``fail_max``, ``reset_timeout_s``, ``success_threshold``;
    ``window_s``, ``until``, ``config``, ``rules``, ``lost_weight`` as for ``analyze``),
    with ``.frame``, the counts side by side as a DataFrame."""
    return WhatIf.of(pipeline.what_if(sources, host=host, grid=grid, **options))
