"""Sources that match nothing are named, never dropped (issue 13, item 5): a missing
path, dangling symlink, symlink loop or empty glob next to a good source is an error on
stderr and exit 1; directories follow symlinked run folders."""

from __future__ import annotations

import json
import os

import pytest
from typer.testing import CliRunner

from advisor.cli.app import app
from advisor.ingest.sources import discover_sources
from tests.helpers import manifests as m
from tests.helpers.manifests import T0, call


@pytest.fixture
def good(tmp_path):
    (tmp_path / "runs" / "a").mkdir(parents=True)
    return m.breaker_events(tmp_path / "runs" / "a" / "manifest.sqlite3",
                            [call(T0, "h.example", "success")])  # fmt: skip


def advise(*args):
    result = CliRunner().invoke(app, ["advise", "--format", "json", "--until", "latest",
                                      *map(str, args)])  # fmt: skip
    return result


@pytest.mark.parametrize("kind", ["missing", "dangling", "loop", "empty-glob", "empty-dir"])
def test_an_unmatched_source_next_to_a_good_one_exits_1_and_is_named(tmp_path, good, kind):
    bad = tmp_path / f"bad-{kind}.sqlite3"
    if kind == "dangling":
        bad.symlink_to(tmp_path / "gone.sqlite3")
    elif kind == "loop":
        bad.symlink_to(bad)
    elif kind == "empty-glob":
        bad = tmp_path / "nothing-*" / "*.sqlite3"
    elif kind == "empty-dir":
        bad = tmp_path / "empty"
        bad.mkdir()
    result = advise(good, bad)
    assert result.exit_code == 1, result.output
    assert str(bad) in result.stderr and "Error" in result.stderr
    report = json.loads(result.stdout)
    assert report["hosts"][0]["host"] == "h.example"
    named = [s for s in report["sources"] if s["path"] == str(bad)]
    assert named and named[0]["warnings"][0].startswith("not analysed")


def test_nothing_matched_at_all_is_still_a_usage_error(tmp_path):
    result = advise(tmp_path / "nowhere.sqlite3")
    assert result.exit_code == 2
    assert "nowhere.sqlite3" in result.stderr


def test_directories_follow_symlinked_run_folders(tmp_path, good):
    runs = tmp_path / "nightly-runs"
    runs.mkdir()
    (runs / "n1").symlink_to(good.parent, target_is_directory=True)
    (runs / "loop").symlink_to(runs, target_is_directory=True)  # must not recurse forever
    paths, unmatched = discover_sources([runs])
    assert paths == [good.resolve()] and unmatched == []


def test_nightly_names_an_unmatched_source(tmp_path, good):
    result = CliRunner().invoke(
        app, ["nightly", str(good), str(tmp_path / "typo.sqlite3"), "--store",
              str(tmp_path / "h.duckdb"), "--out", str(tmp_path / "o"), "--night", "2026-01-15"],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "typo.sqlite3" in result.stderr


def test_only_regular_files_are_sources(tmp_path, good):
    fifo = tmp_path / "pipe.sqlite3"
    os.mkfifo(fifo)
    result = advise(good, fifo)  # opening a FIFO for its header would block forever
    assert result.exit_code == 1, result.output
    assert "not a regular file" in result.stderr
