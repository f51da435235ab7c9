"""Locate the data folders shipped with the package: ``queries/`` and the report templates.

In an installed wheel they live inside the package (``advisor/queries``,
``advisor/templates``); in a source checkout or an editable install they are the
repository's top-level ``queries/`` and ``reports/templates/``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _first_existing(*candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"none of {', '.join(map(str, candidates))} exists")


@cache
def queries_dir() -> Path:
    """Folder holding the ``*.sql`` files, in one subfolder per data-flow step."""
    return _first_existing(_PACKAGE / "queries", _PACKAGE.parent / "queries")


@cache
def templates_dir() -> Path:
    """Folder holding the Jinja2 report templates."""
    return _first_existing(_PACKAGE / "templates", _PACKAGE.parent / "reports" / "templates")
