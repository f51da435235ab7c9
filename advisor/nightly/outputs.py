"""Files of a night: ``YYYY-MM-DD.html`` (report + trends), ``index.html``, ``latest.json``
and the Plotly script the dated reports share (``plotly-cartesian-<version>.min.js``).

The dated report is the normal ``advisor.outputs.report`` page with the ``_trends.html.j2``
section as the report's last section; it loads Plotly from the shared file beside it
instead of inlining 1.5 MB a night. Every file is written to a temporary name and
renamed, so a crash never leaves half a file. Reports of pruned nights are removed.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
from markupsafe import Markup

from advisor import queries
from advisor.model import Analysis
from advisor.nightly.stability import Advice, StabilityRules
from advisor.nightly.trend_figures import host_trends
from advisor.outputs.files import atomic_write
from advisor.outputs.frames import relation_frame
from advisor.outputs.report import render_report
from advisor.outputs.report.render import PLOTLY_FILE, environment, write_plotly_file
from advisor.pipeline import report_data
from advisor.version import __version__
from advisor.window import iso_z

REPORT_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})\.html$")
TRENDS_TEMPLATE = "_trends.html.j2"
INDEX_TEMPLATE = "nightly_index.html.j2"


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file, fsync and a rename.

    Raises:
        UsageError: the folder cannot be written.
    """
    return atomic_write(path, text, make_parents=True)


def trends_html(
    con: duckdb.DuckDBPyConnection, night: date, advice: list[Advice], rules: StabilityRules
) -> str:
    """The trends section of night ``night`` (needs ``hist`` attached to ``con``)."""
    frame = relation_frame(con, queries.load("nightly/trends"), {"night": night})
    trends = host_trends(frame) if not frame.empty else []
    for index, chart in enumerate(c for t in trends for c in t.charts):
        chart.id = f"trend-{index}"
    return (
        environment()
        .get_template(TRENDS_TEMPLATE)
        .render(
            night=night.isoformat(),
            advice=advice,
            rules=rules,
            trends=trends,
            nights=frame["night"].nunique() if not frame.empty else 0,
        )
    )


def report_html(
    analysis: Analysis,
    trends: str,
    night: date | None = None,
    advice: list[Advice] | None = None,
    rules: StabilityRules | None = None,
) -> str:
    """The normal report (from the analysis's report data) with the trends section as
    its last section, loading Plotly from the shared file beside it; the night's
    confirmed / new / withdrawn advice (report data ``nightly``) follows its Actions."""
    data = report_data(analysis)
    if night is not None and rules is not None:
        data["nightly"] = nightly_data(night, advice or [], rules)
    return render_report(data, extra_sections=Markup(trends), plotly_src=PLOTLY_FILE)


def nightly_data(night: date, advice: list[Advice], rules: StabilityRules) -> dict[str, Any]:
    """The report data's ``nightly``: the night, the stability rules and each change's
    status (docs/design.md "Report data")."""
    return {
        "night": night.isoformat(),
        "rules": asdict(rules),
        "advice": [
            {"host": a.host, "parameter": a.parameter, "current": a.current,
             "suggested": a.suggested, "status": a.status, "urgent": a.urgent,
             "nights_seen": a.nights_seen, "rule": a.rule, "confidence": a.confidence}
            for a in advice
        ],
    }  # fmt: skip


def index_html(con: duckdb.DuckDBPyConnection, out_dir: Path) -> str:
    """``index.html``: every night in the store, newest first, with headline counts."""
    cursor = con.execute(
        "SELECT night, events, hosts, changes, confirmed, new, withdrawn, urgent "
        "FROM hist.nights ORDER BY night DESC"
    )
    names = [d[0] for d in cursor.description]
    nights = []
    for row in cursor.fetchall():
        item = dict(zip(names, row, strict=True))
        item["night"] = item["night"].isoformat()
        report = f"{item['night']}.html"
        item["report"] = report if (out_dir / report).is_file() else None
        nights.append(item)
    return environment().get_template(INDEX_TEMPLATE).render(nights=nights, version=__version__)


def latest_json(con: duckdb.DuckDBPyConnection) -> str | None:
    """The stored contract of the newest night, with ``night`` and ``generated_at``."""
    row = con.execute("SELECT night, contract FROM hist.nights ORDER BY night DESC LIMIT 1")
    found = row.fetchone()
    if found is None:
        return None
    contract = json.loads(found[1])
    document = {
        "schema_version": contract.pop("schema_version"),
        "night": found[0].isoformat(),
        "generated_at": iso_z(datetime.now(UTC).replace(microsecond=0)),
        **contract,
    }
    return json.dumps(document, indent=2, allow_nan=False) + "\n"


def prune_reports(out_dir: Path, cutoff: date) -> None:
    """Delete ``YYYY-MM-DD.html`` reports of nights before ``cutoff``."""
    if not out_dir.is_dir():
        return
    for path in out_dir.iterdir():
        match = REPORT_NAME.match(path.name)
        if match and match.group(1) < cutoff.isoformat():
            path.unlink(missing_ok=True)


def write_outputs(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    night: date,
    analysis: Analysis,
    advice: list[Advice],
    rules: StabilityRules,
    cutoff: date,
) -> list[Path]:
    """Write the night's report, the index and ``latest.json``; prune old reports."""
    trends = trends_html(con, night, advice, rules)
    written = [
        write_plotly_file(out_dir),
        write_atomic(
            out_dir / f"{night.isoformat()}.html",
            report_html(analysis, trends, night, advice, rules),
        ),
    ]
    prune_reports(out_dir, cutoff)
    written.append(write_atomic(out_dir / "index.html", index_html(con, out_dir)))
    latest = latest_json(con)
    if latest is not None:
        written.append(write_atomic(out_dir / "latest.json", latest))
    return written
