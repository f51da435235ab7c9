"""Every source unreadable (issue 13, item 2): the exit-1 message naming each source,
never a traceback, for advise, report and nightly."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor.cli.app import app
from tests.helpers import manifests as m
from tests.helpers.manifests import T0, call


def zero_bytes(folder: Path) -> Path:
    path = folder / "empty.sqlite3"
    path.write_bytes(b"")
    return path


def corrupt(folder: Path) -> Path:
    path = folder / "corrupt.sqlite3"
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    return path


def no_telemetry(folder: Path) -> Path:
    path = folder / "other.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (x)")
    con.close()
    return path


def invoke(*args: str | Path):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.mark.parametrize("make", [zero_bytes, corrupt, no_telemetry])
def test_advise_with_only_unreadable_sources_exits_1(tmp_path, make):
    path = make(tmp_path)
    result = invoke("advise", "--format", "json", "--until", "latest", path)
    assert result.exit_code == 1, result.output
    assert f"Error: {path.resolve()}: not analysed" in result.stderr
    assert "Traceback" not in result.output
    report = json.loads(result.stdout)
    assert report["hosts"] == [] and report["sources"][0]["path"] == str(path.resolve())


@pytest.mark.parametrize("make", [zero_bytes, corrupt])
def test_report_with_only_unreadable_sources_exits_1(tmp_path, make):
    path = make(tmp_path)
    out = tmp_path / "r.html"
    result = invoke("report", "--out", out, "--until", "now", path)
    assert result.exit_code == 1, result.output
    assert f"{path.resolve()}: not analysed" in result.stderr
    assert out.is_file()


@pytest.mark.parametrize("make", [zero_bytes, corrupt])
def test_nightly_with_only_unreadable_sources_exits_1(tmp_path, make):
    path = make(tmp_path)
    result = invoke("nightly", path, "--store", tmp_path / "h.duckdb", "--out", tmp_path / "o",
                    "--night", "2026-01-14")  # fmt: skip
    assert result.exit_code == 1, result.output
    assert f"{path.resolve()}: not read" in result.stderr
    # the next night with a readable source still works on the same store
    good = m.breaker_events(tmp_path / "good.sqlite3", [call(T0, "h.example", "success")])
    result = invoke("nightly", good, "--store", tmp_path / "h.duckdb", "--out", tmp_path / "o",
                    "--night", "2026-01-15")  # fmt: skip
    assert result.exit_code == 0, result.output
