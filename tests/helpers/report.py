"""The report's test fixture (four hosts, one named like a script, fixed advice) and a
check of every figure of a rendered page against plotly's validators. Shared by
tests/test_report.py and tests/test_report_browser.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

from advisor import analyze
from advisor.model import Recommendation
from tests.helpers import manifests as m
from tests.helpers.manifests import T0, call, change

UNTIL = T0 + 3600
XSS = "<script>alert(1)</script>"


def report_rows() -> list[tuple]:
    """Four hosts over [T0, T0 + 3600]: flaky (streaks, a reopen, Retry-After), down
    (an outage still open at the end), ok (healthy) and one named like a script."""
    rows = [call(T0 + t, "flaky.example", "success") for t in range(10, 3600, 10)]
    rows += [
        call(T0 + 100.5, "flaky.example", "failure", status=503),
        call(T0 + 101.5, "flaky.example", "failure", status=503),  # streak 2, ended by success
        *[call(T0 + 200.5 + i * 0.1, "flaky.example", "failure") for i in range(5)],
        change(T0 + 201, "flaky.example", "closed", "open", reset_timeout_s=60),  # streak 5
        call(T0 + 230, "flaky.example", "rejected", "open"),
        change(T0 + 261, "flaky.example", "open", "half_open"),
        call(T0 + 261.1, "flaky.example", "failure", "half_open"),
        change(T0 + 261.2, "flaky.example", "half_open", "open", reset_timeout_s=60),
        change(T0 + 321.2, "flaky.example", "open", "half_open"),
        call(T0 + 321.3, "flaky.example", "success", "half_open"),
        change(T0 + 321.4, "flaky.example", "half_open", "closed"),
        call(T0 + 500.5, "flaky.example", "failure", status=429, retry_after_s=120),
        call(T0 + 3595.5, "flaky.example", "failure"),  # streak 1 at the end of the data
    ]
    rows += [call(T0 + t, "down.example", "success") for t in range(50, 1000, 50)]
    rows += [
        *[call(T0 + 1000 + i, "down.example", "failure", status=500) for i in range(5)],
        change(T0 + 1004.5, "down.example", "closed", "open", reset_timeout_s=300),
        change(T0 + 1304.5, "down.example", "open", "half_open"),
        call(T0 + 1304.6, "down.example", "failure", "half_open", exc_type="ReadTimeout"),
        change(T0 + 1304.7, "down.example", "half_open", "open", reset_timeout_s=300),
    ]
    rows += [call(T0 + t, "ok.example", "success") for t in range(30, 3600, 60)]
    rows += [
        call(T0 + 1990, XSS, "success"),
        *[call(T0 + 1995 + i, XSS, "failure") for i in range(3)],
        change(T0 + 1997.5, XSS, "closed", "open", reset_timeout_s=30),
        change(T0 + 2030, XSS, "open", "half_open"),
        call(T0 + 2030.1, XSS, "success", "half_open"),
        change(T0 + 2030.2, XSS, "half_open", "closed"),
    ]
    return rows


def report_manifest(path: Path) -> Path:
    """The manifest of ``report_rows`` at ``path``."""
    return m.breaker_events(path, report_rows())


FIXED_ADVICE = {
    "flaky.example": [
        {
            "parameter": "fail_max", "current": 5, "suggested": 8, "confidence": "high",
            "rule": "false-open", "reasons": ["noise streaks of 5 open the breaker"],
            "evidence": {"noise_streaks": 3, "streak_continue_p": 0.25},
        },
    ],
    XSS: [
        {
            "parameter": "reset_timeout_s", "current": 30, "suggested": 30, "confidence": "low",
            "rule": "insufficient-evidence", "reasons": [f"only one outage {XSS}"],
            "evidence": {XSS: "<b>1</b>"},
        },
    ],
}  # fmt: skip


def fixed_analysis(tmp_path: Path):
    """The fixture analysed, with the rules' advice replaced by FIXED_ADVICE (the report is
    under test here, not the rules)."""
    analysis = analyze(report_manifest(tmp_path / "manifest.sqlite3"), window_s=3600, until=UNTIL)
    for host in analysis.hosts:
        host.recommendations = [
            Recommendation.from_dict(r) for r in FIXED_ADVICE.get(host.host, [])
        ]
    return analysis


FIGURE_BLOCK = re.compile(r'<script type="application/json" id="([^"]+)">(.*?)</script>', re.S)


def validate_figures(html: str) -> int:
    """Check every Plotly figure of a rendered report with ``plotly.graph_objects``
    (raises ValueError naming any property or value plotly does not know); returns how
    many figures were checked."""
    import plotly.graph_objects as go

    checked = 0
    for block_id, text in FIGURE_BLOCK.findall(html):
        figure = json.loads(text)
        if isinstance(figure, dict) and set(figure) == {"data", "layout"}:
            try:
                go.Figure(figure)
            except ValueError as exc:
                raise ValueError(f"figure {block_id}: {exc}") from None
            checked += 1
    return checked
