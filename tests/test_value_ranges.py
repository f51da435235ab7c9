"""Numbers and dates are validated (issue 13, item 10): every number a user gives is
finite and in its documented range, every date in the supported range (docs/design.md
"Ranges"); anything else is a one-line usage error (exit 2), never a traceback, never
silently nonsense, and never a half-written output folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor.cli.app import app
from advisor.errors import UsageError
from advisor.simulate import run as simulate_run
from tests.helpers import manifests as m
from tests.helpers.manifests import T0, call, change

ROWS = [change(T0, "a.example", "closed", "open")] + [
    call(T0 + 1 + i, "a.example", "success") for i in range(30)
]
NIGHT = "2026-01-15"


@pytest.fixture
def manifest(tmp_path) -> Path:
    return m.breaker_events(tmp_path / "manifest.sqlite3", ROWS)


def run(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def refused(args: list[object], *words: str) -> None:
    code, out, err = run(*args)
    assert code == 2, (code, out, err)
    lines = [line for line in err.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and all(w in lines[0] for w in words), err
    assert "Traceback" not in err and "internal error" not in err


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--window-s", "inf"], ["--window-s", "finite"]),
        (["--window-s", "1e308"], ["--window-s", "finite"]),
        (["--until", "0001-01-01"], ["--until", "supported range 1970-01-01 to 9000-01-01"]),
        (["--until", "9999-12-31T23:59:59"], ["--until", "supported range"]),
        (["--until", "99999999999999"], ["--until", "supported range"]),
        (["--until", "0001-01-01T00:00:00+05:00"], ["--until"]),
        (["--lost-weight", "nan"], ["--lost-weight", "finite number from 0 to 1000"]),
        (["--lost-weight", "inf"], ["--lost-weight", "finite"]),
        (["--lost-weight", "1e308"], ["--lost-weight", "finite"]),
    ],
)
@pytest.mark.parametrize("command", ["advise", "report"])
def test_bad_numbers_and_dates_are_usage_errors(manifest, tmp_path, command, flags, words):
    extra = ["--out", tmp_path / "r.html"] if command == "report" else ["--format", "table"]
    refused([command, manifest, *extra, *flags], *words)
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("lost_weight: .nan\n", ["lost_weight", "finite"]),
        ("evidence:\n  min_calls: .inf\n", ["evidence.min_calls", "finite"]),
        ("decision:\n  min_share: 1e308\n", ["decision.min_share", "from 0 to 1"]),
        ("bounds:\n  reset_timeout_s: [5, .inf]\n", ["bounds.reset_timeout_s", "finite"]),
        (b"lost_weight: 0.5  # \xff\xfe\n", ["not UTF-8", "0xff"]),
    ],
)
def test_bad_rules_files_are_config_errors(manifest, tmp_path, text, words):
    rules = tmp_path / "rules.yaml"
    rules.write_bytes(text if isinstance(text, bytes) else text.encode())
    refused(["advise", manifest, "--rules", rules], str(rules), *words)


@pytest.mark.parametrize(
    ("yaml_text", "flags"),
    [
        ("defaults:\n  reset_timeout_s: 1e308\n", []),
        ("defaults:\n  fail_max: 100000000000000000000\n", []),
        ("", ["--breaker", "a.example=reset:1e300"]),
        ("", ["--breaker-defaults", "retry_after_cap:1e12"]),
    ],
)
def test_absurd_breaker_settings_are_config_errors(manifest, tmp_path, yaml_text, flags):
    config = tmp_path / "breakers.yaml"
    config.write_text(yaml_text or "defaults: {}\n")
    refused(["advise", manifest, "--config", config, *flags], "up to")


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--night", "0001-01-01"], ["--night", "supported range"]),
        (["--night", "9999-12-31"], ["--night", "supported range"]),
        (["--night", NIGHT, "--retention-days", "1000000"], ["--retention-days", "36,600"]),
        (["--night", NIGHT, "--lost-weight", "inf"], ["--lost-weight"]),
    ],
)
def test_nightly_bad_night_and_retention(manifest, tmp_path, flags, words):
    store, out = tmp_path / "h.duckdb", tmp_path / "r"
    refused(["nightly", manifest, "--store", store, "--out", out, *flags], *words)
    assert not store.exists() and not out.exists()


def test_run_nightly_checks_its_arguments(manifest, tmp_path):
    from datetime import date

    from advisor.nightly import run_nightly

    with pytest.raises(UsageError, match="--night"):
        run_nightly([manifest], tmp_path / "h.duckdb", tmp_path / "r", night=date(1, 1, 1))
    with pytest.raises(UsageError, match="--retention-days"):
        run_nightly(
            [manifest], tmp_path / "h.duckdb", tmp_path / "r", night=date(2026, 1, 15),
            retention_days=10**6,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--reset-timeout-s", "inf"], ["--reset-timeout-s", "finite"]),
        (["--reset-timeout-s", "1e308"], ["--reset-timeout-s"]),
        (["--fail-max", "10000000"], ["--fail-max"]),
        (["--grid-reset-timeout-s", "5,inf"], ["--grid-reset-timeout-s"]),
        (["--grid", "--grid-size", "1000000"], ["--grid-size"]),
        (["--window-s", "1e308"], ["--window-s"]),
        (["--until", "0001-01-01"], ["--until"]),
    ],
)
def test_replay_bad_values(manifest, flags, words):
    refused(["replay", manifest, "--host", "a.example", "--until", str(T0 + 60), *flags], *words)


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--end", "0001-01-01"], ["--end", "supported range"]),
        (["--end", "9999-12-31"], ["--end", "supported range"]),
        (["--end", "1970-01-01T00:30:00Z"], ["--end", "before 1970-01-01"]),
        (["--hours", "inf"], ["--hours", "finite"]),
        (["--hours", "1e308"], ["--hours"]),
        (["--seed", "-1"], ["--seed", "whole number from 0 to 9,223,372,036,854,775,807"]),
        (["--seed", str(2**63)], ["--seed", "whole number from 0"]),
        (["--workers", "65"], ["--workers", "from 1 to 64 or 'auto'"]),
        (["--workers", "0"], ["--workers", "from 1 to 64"]),
        (["--workers", "1e9"], ["--workers", "from 1 to 64"]),
    ],
)
def test_simulate_bad_values_leave_no_folder(tmp_path, flags, words):
    out = tmp_path / "sim"
    refused(["simulate", "--scenario", "outage", "--out", out, *flags], *words)
    assert not out.exists()


def test_a_failed_simulation_leaves_no_half_written_run(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(simulate_run, "_truth", broken)
    out = tmp_path / "sim"
    with pytest.raises(OSError):
        simulate_run.simulate("outage", out, hours=0.01, seed=1, end=T0)
    assert not out.exists()
    kept = tmp_path / "kept"
    kept.mkdir()
    (kept / "notes.txt").write_text("mine")
    with pytest.raises(OSError):
        simulate_run.simulate("outage", kept, hours=0.01, seed=1, end=T0)
    assert [p.name for p in kept.iterdir()] == ["notes.txt"]


def test_values_at_the_edges_of_the_ranges_work(manifest, tmp_path):
    code, _, err = run("advise", manifest, "--until", str(T0 + 60), "--window-s", "3162240000",
                       "--lost-weight", "1000", "--format", "json")  # fmt: skip
    assert code == 0, err
    code, _, err = run("advise", manifest, "--until", "8999-12-31T00:00:00Z", "--format", "json")
    assert code == 0, err
