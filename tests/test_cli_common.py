"""advisor/cli/common.py: the one AdvisorError edge and AnalysisOptions."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from advisor.cli.app import app
from advisor.cli.common import AnalysisOptions, advisor_errors
from advisor.errors import ConfigError, SourceError, StoreError


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (SourceError("a.sqlite3", "not SQLite"), 1),
        (ConfigError("bad"), 2),
        (StoreError("locked"), 3),
    ],  # fmt: skip
)
def test_the_edge_prints_one_line_and_exits_with_the_error_s_code(capsys, error, code):
    with pytest.raises(typer.Exit) as exit_, advisor_errors():
        raise error
    assert exit_.value.exit_code == code
    assert capsys.readouterr().err == f"Error: {error}\n"


def test_the_edge_lets_other_exceptions_through():
    with pytest.raises(KeyError), advisor_errors():
        raise KeyError("a bug")


@pytest.mark.parametrize(
    "command",
    [["advise", "m.sqlite3"], ["report", "m.sqlite3", "--out", "r.html"],
     ["replay", "m.sqlite3", "--host", "a.example"],
     ["nightly", "m.sqlite3", "--store", "h.duckdb", "--out", "o"], ["breaker", "show"]],
)  # fmt: skip
def test_every_command_reports_a_library_error_as_one_line(tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    missing = tmp_path / "missing.yaml"
    result = CliRunner().invoke(app, [*command, "--config", str(missing)])
    assert result.exit_code == 2
    assert result.stderr == f"Error: {missing}: breaker config file not found\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written


def test_breaker_config_applies_the_override_flags(tmp_path):
    config = tmp_path / "breakers.yaml"
    config.write_text("defaults:\n  fail_max: 3\n  reset_timeout_s: 30\n")
    options = AnalysisOptions(
        sources=(),
        config=config,
        breaker=("a.example=fail_max:7",),
        breaker_role=("a.example:metadata=success_threshold:2",),
        breaker_defaults="reset:45",
    )
    loaded = options.breaker_config()
    assert loaded.path == str(config)
    assert loaded.effective("b.example").fail_max == 3  # the file
    assert loaded.effective("b.example").reset_timeout_s == 45  # flag over file
    assert loaded.effective("a.example").fail_max == 7
    assert loaded.effective("a.example", "metadata").success_threshold == 2
    assert loaded.effective("a.example").success_threshold == 1  # built-in
