"""Timestamps that cannot be real (issue 13, item 6): an infinite time is a bad row and
never becomes ``--until latest``; rows more than a day after the analysis time (the later
of the wall clock and ``--until``; ``now`` and ``latest`` are the wall clock) are bad
rows, named and skipped, for advise and nightly."""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime

import pytest
from typer.testing import CliRunner

from advisor.cli.app import app
from tests.helpers import manifests as m
from tests.helpers.manifests import T0, call, change

ROWS = [change(T0, "h.example", "closed", "open")] + [
    call(T0 + 1 + i, "h.example", "failure") for i in range(10)
]


def poisoned(tmp_path, bad_ts: str):
    path = m.breaker_events(tmp_path / "m.sqlite3", ROWS)
    con = sqlite3.connect(path)
    con.execute(f"INSERT INTO breaker_events (ts, host, event_type, details) VALUES "
                f"({bad_ts}, 'h.example', 'success', '{{}}')")  # fmt: skip
    con.commit()
    con.close()
    return path


def assert_skipped(report: dict) -> None:
    (source,) = report["sources"]
    assert (source["events"], source["skipped"]) == (11, 1)
    assert any("rowid 12" in w and "ts" in w for w in source["warnings"]), source["warnings"]
    assert report["hosts"][0]["metrics"]["failures"] == 10


@pytest.mark.parametrize("bad_ts", ["'infinity'", "'-infinity'", "'+Infinity'"])
def test_an_infinite_time_is_a_bad_row_and_latest_stays(tmp_path, advise_json, bad_ts):
    report = advise_json(poisoned(tmp_path, bad_ts))
    assert_skipped(report)
    end = datetime.fromisoformat(report["window"]["end"].replace("Z", "+00:00"))
    assert end.timestamp() == T0 + 10  # the newest good event


@pytest.mark.parametrize("bad_ts", ["32503680000", "'9999-12-31'", "'infinity'"])
def test_far_future_rows_are_bad_rows_with_an_explicit_until(tmp_path, advise_json, bad_ts):
    report = advise_json(poisoned(tmp_path, bad_ts), until=str(T0 + 100))
    assert_skipped(report)


def test_nightly_skips_an_infinite_time(tmp_path):
    path = poisoned(tmp_path, "'infinity'")
    result = CliRunner().invoke(
        app, ["nightly", str(path), "--store", str(tmp_path / "h.duckdb"), "--out",
              str(tmp_path / "o"), "--night", "2026-01-15"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "1 row(s) skipped" in result.stderr and "11 new events" in result.stderr


@pytest.mark.parametrize("until", ["latest", "now"])
def test_rows_a_day_after_the_wall_clock_are_bad_rows_for_now_and_latest(
    tmp_path, advise_json, until
):
    report = advise_json(poisoned(tmp_path, str(time.time() + 2 * 86400)), until=until,
                         window_s=86400 * 365 * 2)  # fmt: skip
    assert_skipped(report)
    if until == "latest":  # the newest good event, not the planted one
        end = datetime.fromisoformat(report["window"]["end"].replace("Z", "+00:00"))
        assert end.timestamp() == T0 + 10


def test_a_row_within_a_day_of_the_wall_clock_is_kept(tmp_path, advise_json):
    report = advise_json(poisoned(tmp_path, str(time.time() + 3600)), window_s=86400 * 365 * 2)
    (source,) = report["sources"]
    assert (source["events"], source["skipped"]) == (12, 0)


def test_nightly_skips_rows_a_day_after_the_wall_clock(tmp_path):
    path = poisoned(tmp_path, str(time.time() + 2 * 86400))
    result = CliRunner().invoke(
        app, ["nightly", str(path), "--store", str(tmp_path / "h.duckdb"), "--out",
              str(tmp_path / "o"), "--night", "2026-01-15"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "1 row(s) skipped" in result.stderr and "11 new events" in result.stderr
    assert "more than a day after the analysis time" in result.stderr
