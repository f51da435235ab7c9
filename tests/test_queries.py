"""The query loader: names are paths below ``queries/`` (folders included), unknown
names are refused with the list of known ones."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from advisor import queries
from advisor.errors import QueryNotFoundError

ROOT = Path(__file__).resolve().parent.parent / "queries"


def _walk() -> list[str]:
    names = []
    for folder, _, files in os.walk(ROOT):
        rel = os.path.relpath(folder, ROOT)
        for file in files:
            if file.endswith(".sql"):
                stem = file[: -len(".sql")]
                names.append(stem if rel == "." else f"{rel.replace(os.sep, '/')}/{stem}")
    return sorted(names)


def test_available_lists_every_file_in_every_folder():
    assert queries.available() == _walk()
    assert "events/breaker_events" in queries.available()


def test_load_by_folder_name_reads_that_file():
    expected = (ROOT / "events" / "breaker_events.sql").read_text(encoding="utf-8")
    assert queries.load("events/breaker_events") == expected


@pytest.mark.parametrize(
    "name", ["events/nope", "breaker_events", "events/../events/view", "/events/view", "", "events"]
)
def test_unknown_name_lists_the_known_ones(name):
    with pytest.raises(QueryNotFoundError) as info:
        queries.load(name)
    assert repr(name) in str(info.value)
    assert "events/breaker_events" in str(info.value)


def test_run_script_passes_each_statement_only_the_parameters_it_names():
    con = duckdb.connect()
    try:
        queries.run_script(con, "events/schema", {"sources": ["b.db", "a.db"], "tables": ["t"]})
        names = con.execute("SELECT name FROM source_names ORDER BY name").fetchall()
        assert names == [("a.db",), ("b.db",)]
        assert con.execute("SELECT enum_range(NULL::source_path)").fetchone() == (["a.db", "b.db"],)
        assert con.execute("SELECT count(*) FROM event_rows").fetchone() == (0,)
    finally:
        con.close()


def test_split_statements_drops_comment_lines_and_empty_statements():
    sql = "-- a comment; not a statement\nSELECT 1;\n\n  -- another\nSELECT 2;\n;"
    assert queries.split_statements(sql) == ["SELECT 1", "SELECT 2"]
