"""``breaker-advisor replay`` through Typer's CliRunner, on the scripted host of
tests/replay_data.py (recorded behind fail_max 3 / reset 30 s)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from advisor.cli.app import app
from tests.helpers.manifests import T0
from tests.helpers.replay_data import HOST, WINDOW, run, write

UNTIL = str(T0 + WINDOW)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    return write(tmp_path_factory.mktemp("replay-cli"))


def invoke(recorded, *args: str):
    path, config, _ = recorded
    result = CliRunner().invoke(
        app,
        ["replay", str(path), "--until", UNTIL, "--window-s", str(WINDOW),
         "--config", str(config), *args],
    )  # fmt: skip
    return result.exit_code, result.stdout, result.stderr


def test_json_puts_recorded_current_and_candidate_side_by_side(recorded):
    _, _, sim = recorded
    code, out, err = invoke(
        recorded, "--host", HOST.upper(), "--reset-timeout-s", "120", "--format", "json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["host"] == HOST and data["lost_weight"] == 0.5
    assert data["recorded"]["wasted"] == sim.wasted == data["current"]["wasted"]
    assert data["recorded"]["opens"] == data["current"]["opens"]
    assert (data["current"]["fail_max"], data["current"]["reset_timeout_s"]) == (3, 30)
    assert (data["candidate"]["fail_max"], data["candidate"]["reset_timeout_s"]) == (3, 120)
    truth = run(3, 120, record=False)  # the real cost of 120 s on these outages
    assert abs(data["candidate"]["wasted"] - truth.wasted) <= 2
    assert "grid" not in data


def test_grid_prints_the_front_and_the_cheapest_setting(recorded):
    code, out, err = invoke(
        recorded, "--host", HOST, "--grid", "--grid-fail-max", "2,3,5",
        "--grid-reset-timeout-s", "10,30,60,120", "--lost-weight", "1", "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    grid = json.loads(out)["grid"]
    assert (grid["fail_max"], grid["reset_timeout_s"]) == ([2, 3, 5], [10, 30, 60, 120])
    costs = [p["wasted"] + p["lost"] for p in grid["front"]]  # --lost-weight 1
    assert grid["best"]["cost"] == min(costs) == min(p["cost"] for p in grid["front"])
    assert [p["wasted"] for p in grid["front"]] == sorted(p["wasted"] for p in grid["front"])


def test_table_output(recorded):
    code, out, err = invoke(recorded, "--host", HOST, "--fail-max", "2", "--grid-size", "3",
                            "--grid")  # fmt: skip
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"{HOST}: window 2026-01-15T08:00:00Z .. 2026-01-15T10:00:00Z")
    assert "cost = wasted + 0.5 x lost" in lines[0]
    header = next(line for line in lines if "recorded" in line)
    assert header.split() == ["recorded", "current", "(replayed)", "candidate", "best", "of",
                              "grid"]  # fmt: skip
    for label in ("wasted (calls into a down host)", "lost (calls refused while up)",
                  "detect p50 (s)", "resume p50 (s)"):  # fmt: skip
        assert any(line.strip().startswith(label) for line in lines), label
    assert any("Pareto front of (wasted, lost) over 3 x 3 settings" in line for line in lines)
    assert sum("<- lowest cost" in line for line in lines) == 1


def test_a_host_without_calls_is_a_usage_error(recorded):
    code, _, err = invoke(recorded, "--host", "nothere.example")
    assert code == 2
    assert err.startswith("Error: --host nothere.example: no calls in the window")


def test_bad_grid_values_are_a_usage_error(recorded):
    code, _, err = invoke(recorded, "--host", HOST, "--grid-fail-max", "2,x")
    assert (code, err.strip()) == (
        2, "Error: --grid-fail-max: expected comma-separated numbers, got '2,x'"
    )  # fmt: skip
