"""Every command that reads a breaker configuration takes the same options (issue 13,
item 13): --config, --breaker, --breaker-role, --breaker-defaults, --breaker-resolver;
replay's "current" is advise's "current" for the same flags."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from advisor.cli.app import app
from tests.helpers.manifests import T0
from tests.helpers.replay_data import HOST, WINDOW, write

UNTIL = str(T0 + WINDOW)
KNOBS = ("fail_max", "reset_timeout_s", "success_threshold")
FLAG_SETS = [
    [],
    ["--breaker", f"{HOST}=fail_max:5,reset:90"],
    ["--breaker-defaults", "fail_max:4,reset:45,success_threshold:2"],
    ["--breaker-defaults", "fail_max:4", "--breaker", f"{HOST}=reset:75"],
    ["--breaker-role", f"{HOST}:metadata=success_threshold:3", "--breaker", f"{HOST}=fail_max:6"],
    ["--breaker-resolver", "crossref=fail_max:2", "--breaker", f"{HOST}=reset:20"],
]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    return write(tmp_path_factory.mktemp("config-options"))


def invoke(*args: str) -> dict:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("flags", FLAG_SETS)
def test_replay_current_equals_advise_current(recorded, flags):
    path, config, _ = recorded
    common = [str(path), "--until", UNTIL, "--window-s", str(WINDOW), "--config", str(config)]
    advised = invoke("advise", *common, "--format", "json", *flags)
    (host,) = [h for h in advised["hosts"] if h["host"] == HOST]
    replayed = invoke("replay", *common, "--host", HOST, "--format", "json", *flags)
    for knob in KNOBS:
        assert replayed["current"][knob] == host["current"][knob], (knob, flags)


def test_flags_change_replay_current(recorded):
    path, config, _ = recorded
    replayed = invoke("replay", str(path), "--until", UNTIL, "--window-s", str(WINDOW),
                      "--config", str(config), "--host", HOST, "--format", "json",
                      "--breaker", f"{HOST}=fail_max:5,reset:90")  # fmt: skip
    assert (replayed["current"]["fail_max"], replayed["current"]["reset_timeout_s"]) == (5, 90)


def test_nightly_takes_the_config_options(recorded, tmp_path):
    path, config, _ = recorded
    night = "2026-01-15"  # T0's day
    result = CliRunner().invoke(
        app,
        ["nightly", str(path), "--store", str(tmp_path / "h.duckdb"), "--out", str(tmp_path / "o"),
         "--night", night, "--config", str(config), "--breaker", f"{HOST}=fail_max:7",
         "--breaker-defaults", "reset:50", "--breaker-role", f"{HOST}:metadata=fail_max:2",
         "--breaker-resolver", "crossref=fail_max:2"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    latest = json.loads((tmp_path / "o" / "latest.json").read_text())
    (host,) = [h for h in latest["hosts"] if h["host"] == HOST]
    assert host["current"]["fail_max"] == 7 and host["current_origin"]["fail_max"] == "cli"
    assert host["current"]["reset_timeout_s"] == 50
