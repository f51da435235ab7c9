"""The report-data document on disk: written beside the JSON contract
(``breaker-advise --report-data``) and rendered later (``breaker-advisor report --from``).

The document is plain JSON (docs/design.md "Report data"); reading one back checks it is
one this version renders, so a corrupt or foreign file is a usage error, not a crash.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2

from advisor.errors import UsageError, first_line
from advisor.metrics.series import REPORT_DATA_VERSION
from advisor.outputs.files import atomic_write
from advisor.outputs.report.render import render_report

KEYS = ("contract", "unreadable_sources", "series", "trade_offs")
# What a document of the right version but the wrong shape raises while it is rendered.
SHAPE_ERRORS = (KeyError, TypeError, ValueError, IndexError, AttributeError, jinja2.UndefinedError)


def dumps(data: dict[str, Any]) -> str:
    """The document as JSON text (strict: no NaN or infinity)."""
    return json.dumps(data, allow_nan=False, separators=(",", ":")) + "\n"


def save_report_data(data: dict[str, Any], path: str | Path) -> Path:
    """Write the document to ``path`` atomically and return the path.

    Raises:
        UsageError: ``path`` cannot be written.
    """
    return atomic_write(path, dumps(data), what="the report data")


def load_report_data(path: str | Path) -> dict[str, Any]:
    """The document saved at ``path``.

    Raises:
        UsageError: the file cannot be read, is not JSON, or is not a report-data
            document of version ``REPORT_DATA_VERSION``.
    """
    try:
        data = json.loads(Path(path).read_bytes())
    except OSError as exc:
        raise UsageError(f"cannot read the report data {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise UsageError(f"{path}: not a report-data file (not JSON: {exc})") from None
    if not isinstance(data, dict) or "report_data_version" not in data:
        raise UsageError(
            f"{path}: not a report-data file (no report_data_version; "
            "write one with breaker-advise --report-data)"
        )
    version = data["report_data_version"]
    if version != REPORT_DATA_VERSION:
        raise UsageError(
            f"{path}: report_data_version {version!r} is not supported "
            f"(this version reads {REPORT_DATA_VERSION})"
        )
    missing = [key for key in KEYS if key not in data]
    if missing:
        raise UsageError(f"{path}: not a report-data file (missing {', '.join(missing)})")
    return data


def save_report_from(source: str | Path, path: str | Path) -> Path:
    """Render the document saved at ``source`` as the HTML report at ``path``.

    Raises:
        UsageError: ``source`` is not a readable report-data document (named with what
            is wrong in it), or ``path`` cannot be written.
    """
    data = load_report_data(source)
    try:
        html = render_report(data)
    except SHAPE_ERRORS as exc:
        what = f"{type(exc).__name__}: {first_line(exc)}"
        raise UsageError(f"{source}: not a valid report-data file ({what})") from None
    return atomic_write(path, html, what="the report")
