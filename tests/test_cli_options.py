"""Every analysis command takes the same options, declared once (advisor/cli/options.py;
issue 14, "Every command accepts the same analysis options"), and one --format option
whose choices differ per command."""

from __future__ import annotations

import pytest
import typer.main
from typer.testing import CliRunner

from advisor.cli.app import advise_app, app
from tests.helpers import manifests as m
from tests.helpers.manifests import T0, call

ANALYSIS_COMMANDS = ("advise", "report", "replay", "nightly")
CONFIGURATION = ("--config", "--breaker-config", "--breaker", "--breaker-role",
                 "--breaker-defaults", "--breaker-resolver", "--rules", "--lost-weight",
                 "--memory-limit")  # fmt: skip
WINDOWED = ("advise", "report", "replay")  # nightly's window is --night
WINDOW = ("--window-s", "--until")


def options(command: str) -> dict[str, tuple[str, bool]]:
    """``{flag: (help, hidden)}`` of one command, as Click sees it."""
    group = typer.main.get_command(app)
    params = group.commands[command].params  # type: ignore[attr-defined]
    return {flag: (p.help, p.hidden) for p in params if p.param_type_name == "option"
            for flag in p.opts}  # fmt: skip


def sources_help(command: str) -> str:
    group = typer.main.get_command(app)
    (argument,) = [p for p in group.commands[command].params if p.name == "sources"]  # type: ignore[attr-defined]
    return argument.help


def test_every_analysis_command_takes_the_configuration_options_with_the_same_help():
    seen = {command: options(command) for command in ANALYSIS_COMMANDS}
    for flag in CONFIGURATION:
        helps = {command: seen[command].get(flag) for command in ANALYSIS_COMMANDS}
        assert all(value is not None for value in helps.values()), (flag, helps)
        assert len(set(helps.values())) == 1, (flag, helps)
        help_text, hidden = helps["advise"]
        assert not hidden and len(help_text) > 20, flag  # explained in --help
    assert len({sources_help(command) for command in ANALYSIS_COMMANDS}) == 1


def test_the_window_options_are_the_same_where_a_command_takes_a_window():
    for flag in WINDOW:
        helps = {options(command)[flag] for command in WINDOWED}
        assert len(helps) == 1 and not next(iter(helps))[1], (flag, helps)
        assert options("nightly")[flag][1], f"nightly shows {flag} in --help"


def test_breaker_advise_is_the_group_advise():
    alone = typer.main.get_command(advise_app)
    assert {f: (p.help, p.hidden) for p in alone.params if p.param_type_name == "option"
            for f in p.opts} == options("advise")  # fmt: skip


@pytest.mark.parametrize("command", ANALYSIS_COMMANDS)
def test_help_lists_the_configuration_options(command):
    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for flag in ("--config", "--breaker ", "--breaker-role", "--breaker-defaults",
                 "--breaker-resolver", "--rules", "--lost-weight", "--memory-limit"):  # fmt: skip
        assert flag in result.stdout, (command, flag)
    assert "Configuration (the same in advise, report, replay and nightly)" in result.stdout
    assert ("Window length in seconds" in result.stdout) == (command in WINDOWED)


@pytest.mark.parametrize(
    ("command", "accepted"),
    [
        (["advise", "nothing.sqlite3"], {"table", "json", "yaml"}),
        (["replay", "nothing.sqlite3", "--host", "a.example"], {"table", "json"}),
        (["breaker", "show"], {"table", "json"}),
    ],
)
def test_format_accepts_the_command_s_formats_only(command, accepted):
    for name in {"table", "json", "yaml", "html"} - accepted:
        result = CliRunner().invoke(app, [*command, "--format", name])
        assert result.exit_code == 2, (command, name, result.output)
        assert "Invalid value for '--format'" in result.stderr
        assert f"'{name}' is not one of {', '.join(sorted(accepted, key=order))}" in " ".join(
            result.stderr.replace("│", " ").split()
        )
    help_text = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"}).stdout
    assert f"[{'|'.join(sorted(accepted, key=order))}]" in help_text


def order(name: str) -> int:
    return ["table", "json", "yaml"].index(name)


HOST = "api.example"
ROWS = [  # one host, one outage: calls, a failure streak, the breaker open, a trial
    *[call(T0 + i, HOST, "success") for i in range(1, 40)],
    *[call(T0 + 40 + i, HOST, "failure", status=503) for i in range(5)],
    m.change(T0 + 45, HOST, "closed", "open", reset_timeout_s=60),
    *[call(T0 + 46 + i, HOST, "rejected", state="open") for i in range(20)],
    m.change(T0 + 105, HOST, "open", "half_open"),
    call(T0 + 105, HOST, "success", state="half_open"),
    m.change(T0 + 105.5, HOST, "half_open", "closed"),
    *[call(T0 + 106 + i, HOST, "success") for i in range(30)],
]


@pytest.mark.parametrize("fail_max", [2, 7])
def test_replay_current_is_advise_current_with_a_breaker_override(tmp_path, fail_max):
    import json

    path = m.breaker_events(tmp_path / "m.sqlite3", ROWS)
    common = [str(path), "--until", str(T0 + 600), "--window-s", "600",
              "--breaker", f"{HOST}=fail_max:{fail_max}"]  # fmt: skip
    advised = CliRunner().invoke(app, ["advise", *common, "--format", "json"])
    assert advised.exit_code == 0, advised.output
    (host,) = json.loads(advised.stdout)["hosts"]
    replayed = CliRunner().invoke(app, ["replay", *common, "--host", HOST, "--format", "json"])
    assert replayed.exit_code == 0, replayed.output
    current = json.loads(replayed.stdout)["current"]
    assert host["current"]["fail_max"] == current["fail_max"] == fail_max
    assert host["current_origin"]["fail_max"] == "cli"
    assert host["current"]["reset_timeout_s"] == current["reset_timeout_s"]


@pytest.mark.parametrize("flag", [["--window-s", "3600"], ["--until", "latest"]])
def test_nightly_refuses_a_window_and_names_night(tmp_path, flag):
    path = m.breaker_events(tmp_path / "m.sqlite3", ROWS)
    store = tmp_path / "h.duckdb"
    result = CliRunner().invoke(
        app, ["nightly", str(path), "--store", str(store), "--out", str(tmp_path / "o"), *flag]
    )
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {flag[0]}: nightly analyses one UTC day: use --night YYYY-MM-DD "
        "(default yesterday)\n"
    )
    assert not store.exists() and not (tmp_path / "o").exists()
