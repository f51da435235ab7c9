"""The telemetry table layouts the advisor reads: how each is recognised and read.

A source table's layout is decided by its columns, not its name: the first layout in
``LAYOUTS`` whose required columns the table has wins. Each layout names the columns its
events query reads (missing optional ones are read as NULL) and that query
(``queries/events/<layout>.sql``). The fifth, ``jsonl_attempts``, is not a SQLite table:
a ``manifest.jsonl`` file's lines, staged by ``advisor/ingest/jsonl.py`` as the table
``attempts`` (``jsonl_line, jsonl_text, jsonl_problem``) and read by its query.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Layout:
    """One telemetry table layout: its name, the columns that identify it, every column
    its events query reads, and that query's name."""

    name: str
    required: frozenset[str]
    columns: tuple[str, ...]
    query: str


# Checked in this order (the first match wins): a table with the state-transition
# columns also has those of breaker_transitions.
LAYOUTS: tuple[Layout, ...] = (
    Layout(
        "breaker_state_transitions",
        frozenset({"host", "old_state", "new_state", "open_ts", "close_ts"}),
        ("host", "old_state", "new_state", "open_ts", "close_ts"),
        "events/breaker_state_transitions",
    ),
    Layout(
        "breaker_events",
        frozenset({"ts", "host", "event_type", "details"}),
        ("ts", "host", "event_type", "details"),
        "events/breaker_events",
    ),
    Layout(
        "http_events",
        frozenset({"ts", "host", "breaker_recorded"}),
        ("run_id", "ts", "host", "role", "status", "from_cache", "retry_after_s",
         "breaker_state", "breaker_recorded", "elapsed_ms", "error"),
        "events/http_events",
    ),
    Layout(
        "breaker_transitions",
        frozenset({"ts", "host", "old_state", "new_state"}),
        ("run_id", "ts", "host", "scope", "old_state", "new_state", "reset_timeout_s"),
        "events/breaker_transitions",
    ),
    Layout(
        "jsonl_attempts",
        frozenset({"jsonl_line", "jsonl_text", "jsonl_problem"}),
        ("jsonl_line", "jsonl_text", "jsonl_problem"),
        "events/jsonl_attempts",
    ),
)  # fmt: skip
JSONL_LAYOUT = LAYOUTS[-1]
_TABLE_LAYOUTS = LAYOUTS[:-1]  # what a SQLite table can be
JSONL_TABLE = "attempts"  # the table name a JSONL source's records are shown under
JSONL_SUFFIXES = (".jsonl", ".ndjson")

# Columns read as numbers when SQLite declares them numeric (parsed by
# queries/events/macros.sql); every other column, and these when declared otherwise,
# is cast to VARCHAR.
NATIVE_COLUMNS = frozenset(
    {"ts", "open_ts", "close_ts", "status", "from_cache", "retry_after_s", "elapsed_ms",
     "reset_timeout_s"}
)  # fmt: skip

_BY_NAME = {layout.name: layout for layout in LAYOUTS}


def detect_layout(columns: Iterable[str]) -> Layout | None:
    """The layout a SQLite table with these columns has (names compared case-folded), or
    None (never ``jsonl_attempts``: that is a file's lines)."""
    cols = {c.lower() for c in columns}
    return next((layout for layout in _TABLE_LAYOUTS if layout.required <= cols), None)


def layout_named(name: str) -> Layout:
    """The layout called ``name`` (as stored in ``Source.tables``)."""
    return _BY_NAME[name]


def layout_names() -> str:
    """The names of the SQLite table layouts, comma-separated, for messages."""
    return ", ".join(layout.name for layout in _TABLE_LAYOUTS)
