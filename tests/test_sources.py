"""Finding manifests, detecting layouts by columns, and bad files named and skipped."""

from __future__ import annotations

import sqlite3

import pytest

from advisor.errors import NoSourcesError
from advisor.ingest.layouts import detect_layout
from advisor.ingest.sources import discover, inspect
from tests.helpers import manifests as m
from tests.helpers.manifests import T0, call, change

GOOD_ROWS = [
    change(T0 + 1, "h.example", "closed", "open"),
    call(T0 + 2, "h.example", "rejected", "open"),
]


def test_directory_glob_and_file_arguments(tmp_path):
    (tmp_path / "runs" / "a").mkdir(parents=True)
    (tmp_path / "runs" / "b").mkdir(parents=True)
    one = m.breaker_events(tmp_path / "runs" / "a" / "manifest.sqlite3", GOOD_ROWS)
    two = m.breaker_events(tmp_path / "runs" / "b" / "manifest.sqlite", GOOD_ROWS)
    (tmp_path / "runs" / "notes.txt").write_text("not a manifest")
    assert discover([tmp_path / "runs"]) == [one.resolve(), two.resolve()]
    assert discover([str(tmp_path / "runs" / "*" / "manifest.sqlite3")]) == [one.resolve()]
    assert discover([one, one]) == [one.resolve()]


def test_nothing_matched_is_a_usage_error(tmp_path):
    with pytest.raises(NoSourcesError, match="no manifest files found in .*nowhere"):
        discover([tmp_path / "nowhere"])


def test_layouts_are_detected_by_columns_not_names(tmp_path):
    con = sqlite3.connect(tmp_path / "odd.db")
    con.execute(
        "CREATE TABLE telemetry (id INTEGER, ts REAL, host TEXT, event_type TEXT, details TEXT)"
    )
    con.execute("CREATE TABLE breaker_events (something TEXT)")  # right name, wrong columns
    con.commit()
    con.close()
    source = inspect(tmp_path / "odd.db")
    assert source.tables == {"telemetry": "breaker_events"}
    both = detect_layout(["HOST", "old_state", "new_state", "open_ts", "close_ts", "ts"])
    assert both is not None and both.name == "breaker_state_transitions"
    http = detect_layout(["ts", "host", "breaker_recorded", "status"])
    assert http is not None and http.name == "http_events"
    assert detect_layout(["ts", "host"]) is None


def _bad_files(tmp_path):
    (tmp_path / "empty.sqlite3").write_bytes(b"")
    (tmp_path / "text.sqlite3").write_text("hello, I am not a database\n" * 20)
    big = m.breaker_events(
        tmp_path / "big.db", [call(T0 + i, f"h{i % 50}.example", "success") for i in range(3000)]
    )
    data = big.read_bytes()
    (tmp_path / "truncated.sqlite3").write_bytes(data[: len(data) // 2])
    big.unlink()
    sqlite3.connect(tmp_path / "other.sqlite3").execute(
        "CREATE TABLE users (name TEXT)"
    ).connection.commit()
    return {
        "empty.sqlite3": "empty file",
        "text.sqlite3": "not an SQLite database",
        "truncated.sqlite3": "truncated",
        "other.sqlite3": "no breaker telemetry table (breaker_state_transitions, breaker_events, "
        "http_events, breaker_transitions)",
    }


def test_bad_files_are_named_and_skipped_and_the_rest_analysed(tmp_path, run_advise):
    expected = _bad_files(tmp_path)
    m.breaker_events(tmp_path / "good.sqlite3", GOOD_ROWS)
    code, out, err = run_advise("--format", "json", "--until", "latest", tmp_path)
    assert code == 1
    for name, reason in expected.items():
        line = next(line for line in err.splitlines() if name in line)
        assert reason in line and line.startswith("Error: ")
    assert "Traceback" not in err
    import json

    report = json.loads(out)
    assert [h["host"] for h in report["hosts"]] == ["h.example"]
    by_name = {s["path"].rsplit("/", 1)[-1]: s for s in report["sources"]}
    assert by_name["good.sqlite3"]["events"] == 2
    assert any(expected["empty.sqlite3"] in w for w in by_name["empty.sqlite3"]["warnings"])
    assert len(report["warnings"]) == len(expected)


def test_locked_file_is_reported(tmp_path, run_advise):
    m.breaker_events(tmp_path / "good.sqlite3", GOOD_ROWS)
    locked = m.breaker_events(tmp_path / "locked.sqlite3", GOOD_ROWS)
    holder = sqlite3.connect(locked, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        code, _out, err = run_advise("--until", "latest", tmp_path)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 1
    assert "locked.sqlite3: not analysed: locked by another process" in err


def test_bad_rows_are_counted_with_file_table_and_rowid(tmp_path, advise_json):
    rows = [
        *GOOD_ROWS,
        ("yesterday-ish", "h.example", "success", {"state": "closed"}),
        (T0 + 3, "  ", "success", {"state": "closed"}),
        (T0 + 4, "h.example", "success", "{not json"),
        (T0 + 5, "h.example", "teleported", {}),
        (T0 + 6, "h.example", "state_change", {"old_state": "closed", "new_state": "purple"}),
        (T0 + 7, "h.example", "before_call", {"state": "closed"}),  # not a call, not a problem
    ]
    report = advise_json(m.breaker_events(tmp_path / "m.sqlite3", rows))
    source = report["sources"][0]
    assert (source["events"], source["skipped"]) == (2, 5)
    text = "\n".join(source["warnings"])
    for fragment in (
        "ts yesterday-ish is not a timestamp (rowid 3)",
        "host is empty (rowid 4)",
        "details is not valid JSON (rowid 5)",
        "unknown event_type teleported (rowid 6)",
        "state_change without a recognisable new state (rowid 7)",
    ):
        assert f"table breaker_events: 1 row(s) skipped: {fragment}" in text
    assert report["hosts"][0]["metrics"]["rejected"] == 1


def test_copied_manifest_is_counted_once_and_flagged(tmp_path, advise_json):
    rows = [*GOOD_ROWS, call(T0 + 3, "h.example", "failure"), call(T0 + 3, "h.example", "failure")]
    original = m.breaker_events(tmp_path / "a.sqlite3", rows)
    (tmp_path / "copy.sqlite3").write_bytes(original.read_bytes())
    report = advise_json(tmp_path)
    metrics = report["hosts"][0]["metrics"]
    assert (metrics["opens"], metrics["rejected"], metrics["failures"]) == (1, 1, 2)
    by_name = {s["path"].rsplit("/", 1)[-1]: s for s in report["sources"]}
    assert by_name["copy.sqlite3"]["events"] == 4
    assert any("duplicate of another source" in w for w in by_name["copy.sqlite3"]["warnings"])
    assert by_name["a.sqlite3"]["warnings"] == []


def test_partly_overlapping_copy_adds_only_new_events(tmp_path, advise_json):
    m.breaker_events(tmp_path / "a.sqlite3", GOOD_ROWS)
    m.breaker_events(
        tmp_path / "b.sqlite3", [*GOOD_ROWS, call(T0 + 9, "h.example", "rejected", "open")]
    )
    report = advise_json(tmp_path)
    assert report["hosts"][0]["metrics"]["rejected"] == 2
    by_name = {s["path"].rsplit("/", 1)[-1]: s for s in report["sources"]}
    assert any(
        "2 of 3 events are also in another file" in w for w in by_name["b.sqlite3"]["warnings"]
    )


def test_path_with_a_quote_is_attached(tmp_path, advise_json):
    path = m.breaker_events(tmp_path / "it's here.sqlite3", GOOD_ROWS)
    assert advise_json(path)["hosts"][0]["metrics"]["opens"] == 1


def test_a_column_mixing_types_is_reread_as_text(tmp_path, advise_json):
    """ts declared REAL but holding ISO text and integers in some rows (seen in the wild)."""
    path = tmp_path / "mixed.sqlite3"
    con = sqlite3.connect(path)
    con.execute(
        "CREATE TABLE breaker_events (id INTEGER PRIMARY KEY, ts REAL, host TEXT, "
        "event_type TEXT, details TEXT)"
    )
    con.executemany(
        "INSERT INTO breaker_events (ts, host, event_type, details) VALUES (?, ?, ?, ?)",
        [
            (T0 + 10, "h.example", "state_change", '{"old": "closed", "new": "open"}'),
            ("2026-01-15T08:01:10Z", "h.example", "state_change", '{"new": "half_open"}'),
            (int((T0 + 70) * 1000), "h.example", "state_change", '{"new": "closed"}'),
        ],
    )
    con.commit()
    con.close()
    report = advise_json(path)
    assert report["sources"][0]["events"] == 3
    assert report["hosts"][0]["metrics"]["open_time_s"] == 60.0
