"""The layout registry: each layout's events query exists and reads the columns it
names; detection takes the first match; the no-telemetry message names every layout."""

from __future__ import annotations

import re

from advisor import queries
from advisor.ingest.layouts import LAYOUTS, detect_layout, layout_named, layout_names


def test_each_layout_has_its_query_and_names_it_once():
    assert [layout.name for layout in LAYOUTS] == [
        "breaker_state_transitions", "breaker_events", "http_events", "breaker_transitions",
        "jsonl_attempts",
    ]  # fmt: skip
    for layout in LAYOUTS:
        assert layout.query == f"events/{layout.name}"
        sql = queries.load(layout.query)
        assert "FROM source_rows" in sql, layout.name
        assert layout.required <= set(layout.columns), layout.name
        assert layout_named(layout.name) is layout


def test_the_query_reads_only_columns_the_layout_stages():
    # source_rows offers exactly the layout's columns (missing ones as NULL); a column the
    # query reads that the layout does not list would fail at run time
    for layout in LAYOUTS:
        sql = re.sub(r"--[^\n]*", "", queries.load(layout.query))
        for column in layout.columns:
            assert re.search(rf"\b{column}\b", sql), (layout.name, column)


def test_detection_takes_the_first_layout_that_matches():
    transitions = ["ts", "host", "old_state", "new_state"]
    found = detect_layout(transitions)
    assert found is not None and found.name == "breaker_transitions"
    found = detect_layout([*transitions, "OPEN_TS", "close_ts"])
    assert found is not None and found.name == "breaker_state_transitions"
    assert detect_layout(["ts", "host", "details"]) is None
    # a JSONL manifest's staged lines are never a SQLite table's layout
    assert detect_layout(["jsonl_line", "jsonl_text", "jsonl_problem"]) is None


def test_the_message_names_every_layout():
    assert layout_names() == (
        "breaker_state_transitions, breaker_events, http_events, breaker_transitions"
    )
