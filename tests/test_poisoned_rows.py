"""Poisoned rows (issue 13, item 1): non-finite or absurd numbers and text that is not
valid UTF-8 are bad rows (skipped, counted, named with file, table and rowid) and
never take the other rows, or the other sources, down with them."""

from __future__ import annotations

import json
import math
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pybreaker
import pytest

from advisor.errors import UsageError
from advisor.telemetry import ManifestWriter, TelemetryListener, http_details
from tests.helpers import manifests as m
from tests.helpers.manifests import T0, call, change

GOOD = [change(T0, "good.example", "closed", "open", reset_timeout_s=30)] + [
    call(T0 + 1 + i, "good.example", "failure", retry_after_s=5) for i in range(20)
]
INVALID_HOST = "CAST(X'6261642dff2e6f7267' AS TEXT)"  # 'bad-\xff.org'


def insert(path: Path, sql: str, *params: object) -> Path:
    con = sqlite3.connect(path)
    con.execute(sql, params)
    con.commit()
    con.close()
    return path


def poisoned_event(path: Path, etype: str, details_json: str) -> Path:
    m.breaker_events(path, GOOD)
    return insert(
        path,
        "INSERT INTO breaker_events (ts, host, event_type, details) VALUES (?, ?, ?, ?)",
        T0 + 30,
        "bad.example",
        etype,
        details_json,
    )


def source_of(report: dict, path: Path) -> dict:
    return next(s for s in report["sources"] if s["path"] == str(path.resolve()))


def assert_one_bad_row(report: dict, path: Path, rowid: int, words: str) -> None:
    source = source_of(report, path)
    assert source["events"] == len(GOOD)
    assert source["skipped"] == 1
    assert any(words in w and f"rowid {rowid}" in w for w in source["warnings"]), source
    assert [h["host"] for h in report["hosts"]] == ["good.example"]


@pytest.mark.parametrize(
    ("etype", "details", "words"),
    [
        ("failure", '{"state":"closed","retry_after_s":Infinity}', "retry_after_s"),
        ("failure", '{"state":"closed","retry_after_s":-Infinity}', "retry_after_s"),
        ("failure", '{"state":"closed","retry_after_s":NaN}', "retry_after_s"),
        ("failure", '{"state":"closed","retry_after_s":1e20}', "retry_after_s"),
        ("failure", '{"state":"closed","retry_after_s":"99999999999999999999"}', "retry_after_s"),
        ("failure", '{"state":"closed","retry_after_s":10000001}', "retry_after_s"),
        ("failure", '{"state":"closed","retry_after_s":-3}', "retry_after_s"),
        ("failure", '{"state":"closed","elapsed_ms":NaN}', "elapsed_ms"),
        ("state_change", '{"old_state":"closed","new_state":"open","reset_timeout_s":Infinity}',
         "reset_timeout_s"),
        ("state_change", '{"old_state":"closed","new_state":"open","reset_timeout_s":9.3e12}',
         "reset_timeout_s"),
        ("state_change", '{"old_state":"closed","new_state":"open","reset_timeout_s":NaN}',
         "reset_timeout_s"),
    ],
)  # fmt: skip
def test_absurd_numbers_in_details_are_bad_rows(tmp_path, advise_json, etype, details, words):
    path = poisoned_event(tmp_path / "m.sqlite3", etype, details)
    other = m.breaker_events(tmp_path / "other.sqlite3", [call(T0 + 2, "good.example", "success")])
    report = advise_json(path, other)
    assert_one_bad_row(report, path, len(GOOD) + 1, words)
    assert source_of(report, other)["events"] == 1


@pytest.mark.parametrize(
    ("etype", "details", "words"),
    [
        ("failure", '{"state":"closed","retry_after_s":"soon"}',
         'retry_after_s "soon" is not a number'),
        ("failure", '{"state":"closed","retry_after_s":[5]}', "retry_after_s [5] is not a number"),
        ("failure", '{"state":"closed","retry_after_s":true}',
         "retry_after_s true is not a number"),
        ("failure", '{"state":"closed","elapsed_ms":"fast"}', "elapsed_ms"),
        ("failure", '{"state":"closed","status":"teapot"}', "status"),
        ("failure", '{"state":"closed","status":false}', "status false is not a number"),
        ("failure", '{"state":"closed","st\\u0061tus":"teapot"}',
         'status "teapot" is not a number'),
        ("failure", '{"state":"closed","status":"teapot","status":500}',
         'status "teapot" is not a number'),
        ("state_change", '{"old_state":"closed","new_state":"open","reset_timeout_s":"long"}',
         "reset_timeout_s"),
        ("failure", "[1, 2]", "details is an array, not a JSON object"),
        ("failure", "42", "details is a number, not a JSON object"),
        ("failure", "4.5", "details is a number, not a JSON object"),
        ("failure", '"closed"', "details is a string, not a JSON object"),
        ("state_change", "[]", "details is an array, not a JSON object"),
    ],
)  # fmt: skip
def test_wrong_types_in_details_are_bad_rows(tmp_path, advise_json, etype, details, words):
    path = poisoned_event(tmp_path / "m.sqlite3", etype, details)
    other = m.breaker_events(tmp_path / "other.sqlite3", [call(T0 + 2, "good.example", "success")])
    report = advise_json(path, other)
    assert_one_bad_row(report, path, len(GOOD) + 1, words)
    warning = next(w for w in source_of(report, path)["warnings"] if words in w)
    assert "table breaker_events" in warning, warning
    assert source_of(report, other)["events"] == 1


def test_numeric_strings_and_nulls_in_details_are_kept(tmp_path, advise_json):
    details = '{"state":"closed","retry_after_s":"12","status":null,"elapsed_ms":"3.5"}'
    path = poisoned_event(tmp_path / "m.sqlite3", "failure", details)
    report = advise_json(path)
    assert source_of(report, path)["skipped"] == 0
    bad = next(h for h in report["hosts"] if h["host"] == "bad.example")
    assert bad["metrics"]["retry_after_s"]["max"] == 12


def test_real_retry_after_values_above_any_cap_are_kept(tmp_path, advise_json):
    details = '{"state":"closed","retry_after_s":86400}'
    path = poisoned_event(tmp_path / "m.sqlite3", "failure", details)
    report = advise_json(path)
    assert source_of(report, path)["skipped"] == 0
    bad = next(h for h in report["hosts"] if h["host"] == "bad.example")
    assert bad["metrics"]["retry_after_s"]["max"] == 86400


@pytest.mark.parametrize("value", ["inf", "-inf", "1e20", "-1", "'Infinity'", "'NaN'"])
def test_absurd_retry_after_column_in_http_events(tmp_path, advise_json, value):
    path = m.http_events(
        tmp_path / "h.db",
        [{"ts": T0 + i, "host": "good.example", "breaker_recorded": "success"} for i in range(5)],
    )
    sql_value = {"inf": "9e999", "-inf": "-9e999"}.get(value, value)
    insert(
        path,
        "INSERT INTO http_events (ts, host, breaker_recorded, status, retry_after_s) "
        f"VALUES (?, 'bad.example', 'failure', 429, {sql_value})",
        T0 + 6,
    )
    report = advise_json(path)
    source = source_of(report, path)
    assert (source["events"], source["skipped"]) == (5, 1)
    assert any("retry_after_s" in w and "rowid 6" in w for w in source["warnings"])


@pytest.mark.parametrize("value", ["9e999", "1e20", "-5"])
def test_absurd_reset_timeout_in_breaker_transitions(tmp_path, advise_json, value):
    path = m.breaker_transitions(
        tmp_path / "t.db", [("r", T0, "good.example", "host", "closed", "open", 60.0)]
    )
    insert(
        path,
        "INSERT INTO breaker_transitions VALUES "
        f"('r', ?, 'bad.example', 'host', 'closed', 'open', {value})",
        T0 + 1,
    )
    report = advise_json(path)
    source = source_of(report, path)
    assert (source["events"], source["skipped"]) == (1, 1)
    assert any("reset_timeout_s" in w and "rowid 2" in w for w in source["warnings"])


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """In a child process: a hang inside DuckDB must fail the test, not freeze the suite."""
    return subprocess.run(
        [sys.executable, "-c", "from advisor.cli.app import advise_main; advise_main()", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize(
    ("table", "sql"),
    [
        ("breaker_events",
         f"INSERT INTO breaker_events (ts, host, event_type, details) VALUES "
         f"({T0 + 30}, {INVALID_HOST}, 'failure', '{{\"state\":\"closed\"}}')"),
        ("breaker_events",
         f"INSERT INTO breaker_events (ts, host, event_type, details) VALUES "
         f"({T0 + 30}, 'bad.example', 'failure', CAST(X'7b227374617465223a22ff227d' AS TEXT))"),
        ("breaker_events",
         f"INSERT INTO breaker_events (ts, host, event_type, details) VALUES "
         f"({T0 + 30}, 'bad.example', CAST(X'6661696cff' AS TEXT), '{{}}')"),
        ("breaker_events",
         "INSERT INTO breaker_events (ts, host, event_type, details) VALUES "
         "(CAST(X'3230ff' AS TEXT), 'bad.example', 'failure', '{}')"),
    ],
)  # fmt: skip
def test_invalid_utf8_is_a_bad_row_and_never_hangs(tmp_path, table, sql):
    path = m.breaker_events(tmp_path / "m.sqlite3", GOOD)
    insert(path, sql)
    other = m.breaker_events(tmp_path / "other.sqlite3", [call(T0 + 2, "good.example", "success")])
    before = path.read_bytes()
    done = run_cli("--format", "json", "--until", "latest", str(path), str(other))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    report = json.loads(done.stdout)
    source = source_of(report, path)
    assert (source["events"], source["skipped"]) == (len(GOOD), 1)
    assert any("not valid UTF-8" in w and f"rowid {len(GOOD) + 1}" in w for w in source["warnings"])
    assert source_of(report, other)["events"] == 1
    assert path.read_bytes() == before


def test_invalid_utf8_in_every_layout(tmp_path):
    http = m.http_events(
        tmp_path / "h.db", [{"ts": T0, "host": "good.example", "breaker_recorded": "success"}]
    )
    insert(http, f"INSERT INTO http_events (ts, host, breaker_recorded) VALUES "
                 f"({T0 + 1}, {INVALID_HOST}, 'failure')")  # fmt: skip
    insert(http, f"INSERT INTO http_events (ts, host, breaker_recorded, error) VALUES "
                 f"({T0 + 2}, 'x.example', 'failure', CAST(X'ff' AS TEXT))")  # fmt: skip
    trans = m.breaker_transitions(
        tmp_path / "t.db", [("r", T0, "good.example", "host", "closed", "open", 60.0)]
    )
    insert(trans, f"INSERT INTO breaker_transitions VALUES "
                  f"('r', {T0 + 1}, {INVALID_HOST}, 'host', 'closed', 'open', 60)")  # fmt: skip
    states = m.state_transitions(
        tmp_path / "s.sqlite", [("good.example", "open", "closed", T0, T0 + 5)]
    )
    insert(states, f"INSERT INTO breaker_state_transitions VALUES "
                   f"({INVALID_HOST}, 'open', 'closed', {T0 + 9}, {T0 + 20})")  # fmt: skip
    done = run_cli("--format", "json", "--until", "latest", str(http), str(trans), str(states))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    for path, skipped in ((http, 2), (trans, 1), (states, 2)):
        source = source_of(report, path)
        assert source["skipped"] == skipped, source
        assert all("not valid UTF-8" in w for w in source["warnings"]), source


# --- the producer never writes them -----------------------------------------------------


class HttpError(Exception):
    def __init__(self, retry_after: object) -> None:
        super().__init__("server said no")
        self.response = SimpleNamespace(status_code=429, headers={"Retry-After": retry_after})


def strict_json(text: str) -> dict:
    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize(
    "header",
    ["Infinity", "inf", "-inf", "NaN", "99999999999999999999", "1e20", str(31 * 86400),
     float("inf"), float("nan"), 10**400, "Fri, 31 Dec 9999 23:59:59 GMT"],
)  # fmt: skip
def test_listener_drops_an_absurd_retry_after_and_counts_it(tmp_path, caplog, header):
    path = tmp_path / "m.sqlite3"
    with ManifestWriter(path, flush_interval_s=None) as writer:
        listener = TelemetryListener("api.example.org", writer)
        breaker = pybreaker.CircuitBreaker(fail_max=5, listeners=[listener])

        def fail() -> None:
            raise HttpError(header)

        with pytest.raises(HttpError):
            breaker.call(fail)
        assert listener.last_failure == (429, None)
        dropped = dict(writer.dropped_values)
    if header != "-inf":  # a negative value is simply no Retry-After
        assert dropped == {"retry_after_s": 1}
        assert "retry_after_s" in caplog.text
    con = sqlite3.connect(path)
    (details,) = con.execute("SELECT details FROM breaker_events").fetchone()
    con.close()
    assert "retry_after_s" not in strict_json(details)


@pytest.mark.parametrize("seconds", [30 * 86400, 86400, 3601.5])
def test_real_retry_after_values_are_written_exactly(tmp_path, seconds):
    assert http_details(HttpError(str(seconds)), now=T0) == (429, float(seconds))
    path = tmp_path / "m.sqlite3"
    with ManifestWriter(path, flush_interval_s=None) as writer:
        listener = TelemetryListener("api.example.org", writer)
        breaker = pybreaker.CircuitBreaker(listeners=[listener])
        with pytest.raises(HttpError):
            breaker.call(lambda: (_ for _ in ()).throw(HttpError(str(seconds))))
        assert not writer.dropped_values
    con = sqlite3.connect(path)
    (details,) = con.execute("SELECT details FROM breaker_events").fetchone()
    con.close()
    assert strict_json(details)["retry_after_s"] == seconds


def test_writer_record_never_writes_a_non_finite_number(tmp_path):
    path = tmp_path / "m.sqlite3"
    with ManifestWriter(path, flush_interval_s=None) as writer:
        writer.record("h.example", "failure", ts=T0, retry_after_s=math.inf, elapsed_ms=math.nan,
                      status=503)  # fmt: skip
        writer.record("h.example", "state_change", ts=T0, old_state="closed", new_state="open",
                      reset_timeout_s=-math.inf)  # fmt: skip
        with pytest.raises(UsageError):
            writer.record("h.example", "success", ts=math.inf)
        assert dict(writer.dropped_values) == {
            "retry_after_s": 1, "elapsed_ms": 1, "reset_timeout_s": 1
        }  # fmt: skip
    con = sqlite3.connect(path)
    rows = [strict_json(d) for (d,) in con.execute("SELECT details FROM breaker_events")]
    con.close()
    assert rows[0]["status"] == 503 and "retry_after_s" not in rows[0]
    assert "reset_timeout_s" not in rows[1]


def test_listener_drops_a_non_finite_reset_timeout(tmp_path):
    path = tmp_path / "m.sqlite3"
    with ManifestWriter(path, flush_interval_s=None) as writer:
        listener = TelemetryListener("api.example.org", writer)
        breaker = pybreaker.CircuitBreaker(fail_max=1, reset_timeout=math.inf, listeners=[listener])
        with pytest.raises(pybreaker.CircuitBreakerError):
            breaker.call(lambda: 1 / 0)
        assert writer.dropped_values["reset_timeout_s"] == 1
    con = sqlite3.connect(path)
    rows = [strict_json(d) for (d,) in con.execute("SELECT details FROM breaker_events")]
    con.close()
    assert any(r.get("new_state") == "open" for r in rows)


def test_nightly_skips_poisoned_rows_and_keeps_the_rest(tmp_path):
    path = poisoned_event(tmp_path / "m.sqlite3", "failure", '{"retry_after_s":Infinity}')
    insert(
        path,
        "INSERT INTO breaker_events (ts, host, event_type, details) VALUES "
        f"({T0 + 31}, {INVALID_HOST}, 'failure', '{{}}')",
    )
    night = datetime.fromtimestamp(T0, UTC).date().isoformat()
    done = subprocess.run(
        [sys.executable, "-c", "from advisor.cli.app import main; main()", "nightly", str(path),
         "--store", str(tmp_path / "h.duckdb"), "--out", str(tmp_path / "r"), "--night", night],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "2 row(s) skipped" in done.stderr or (
        "retry_after_s" in done.stderr and "not valid UTF-8" in done.stderr
    )
    report = json.loads((tmp_path / "r" / "latest.json").read_text())
    assert [h["host"] for h in report["hosts"]] == ["good.example"]
