"""A bug is exit 70 (issue 13, item 4): one line on stderr saying what failed and where
the traceback was saved; ``-v`` prints the traceback itself. The systemd unit treats
everything but 0 and 1 as a failure."""

from __future__ import annotations

import configparser
import tempfile
from pathlib import Path

import pytest

from advisor import cli
from advisor.cli import common
from tests.helpers import manifests as m
from tests.helpers.manifests import T0, call

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


@pytest.fixture
def source(tmp_path):
    return m.breaker_events(tmp_path / "m.sqlite3", [call(T0, "h.example", "success")])


@pytest.fixture
def bug(monkeypatch, tmp_path):
    """Make the analysis raise as a bug would; tracebacks go to a private temp dir."""

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero (planted)")

    monkeypatch.setattr(common, "analyze", broken)
    saved = tmp_path / "tmp"
    saved.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(saved))
    return saved


def run_main(monkeypatch, entry, *args: str | Path) -> int:
    monkeypatch.setattr("sys.argv", ["breaker-advisor", *map(str, args)])
    with pytest.raises(SystemExit) as stop:
        entry()
    return stop.value.code


@pytest.mark.parametrize(
    ("entry", "args"),
    [
        (cli.advise_main, ["--until", "latest"]),
        (cli.main, ["advise", "--until", "latest"]),
        (cli.main, ["report", "--out", "REPORT", "--until", "latest"]),
    ],
)
def test_a_bug_exits_70_with_one_line_and_a_saved_traceback(
    monkeypatch, capsys, bug, source, tmp_path, entry, args
):
    args = [str(tmp_path / "r.html") if a == "REPORT" else a for a in args]
    code = run_main(monkeypatch, entry, *args, source)
    err = capsys.readouterr().err
    assert code == 70
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "internal error" in lines[0] and "ZeroDivisionError" in lines[0]
    (saved,) = bug.iterdir()
    assert str(saved) in lines[0]
    text = saved.read_text()
    assert "Traceback (most recent call last)" in text and "planted" in text


@pytest.mark.parametrize(
    ("entry", "args"),
    [(cli.advise_main, ["-v"]), (cli.main, ["report", "--verbose", "--out", "REPORT"])],
)
def test_verbose_prints_the_traceback(monkeypatch, capsys, bug, source, tmp_path, entry, args):
    args = [str(tmp_path / "r.html") if a == "REPORT" else a for a in args]
    code = run_main(monkeypatch, entry, *args, "--until", "latest", source)
    err = capsys.readouterr().err
    assert code == 70
    assert "Traceback (most recent call last)" in err and "planted" in err


def test_usage_and_source_errors_keep_their_codes(monkeypatch, capsys, tmp_path, source):
    assert run_main(monkeypatch, cli.advise_main, "--window-s", "x", source) == 2
    assert run_main(monkeypatch, cli.advise_main, tmp_path / "missing.sqlite3") == 2
    empty = tmp_path / "empty.sqlite3"
    empty.write_bytes(b"")
    assert run_main(monkeypatch, cli.advise_main, "--until", "latest", empty) == 1
    assert run_main(monkeypatch, cli.advise_main, "--until", "latest", source) == 0
    assert "Traceback" not in capsys.readouterr().err


def test_systemd_unit_fails_on_every_code_but_0_and_1():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read(DEPLOY / "breaker-advisor-nightly.service")
    service = unit["Service"]
    assert service["SuccessExitStatus"].split() == ["0", "1"]
    assert not service["ExecStart"].startswith(("-", "@-", "+-", "!-"))  # "-" ignores failure
    assert "RestartForceExitStatus" not in service
    text = (DEPLOY / "breaker-advisor-nightly.service").read_text()
    assert "70" in text  # the comment lists the internal-error code
