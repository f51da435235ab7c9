"""breaker-advise / breaker-advisor advise: usage errors, exit codes, table output."""

from __future__ import annotations

from typer.testing import CliRunner

from advisor.cli.app import app
from tests.helpers import manifests as m
from tests.helpers.manifests import T0, call, change

ROWS = [
    change(T0 + 1, "quiet.example", "closed", "open"),
    *[call(T0 + i, "busy.example", "success") for i in range(2, 60)],
]


def test_no_source_is_a_usage_error(run_advise):
    code, out, err = run_advise()
    assert code == 2
    assert "Missing argument 'SOURCES'" in err
    assert "Traceback" not in out + err


def test_bad_until_is_a_usage_error(tmp_path, run_advise):
    path = m.breaker_events(tmp_path / "m.sqlite3", ROWS)
    code, _, err = run_advise("--until", "yesterday", path)
    assert code == 2
    assert err.startswith("Error: --until 'yesterday': expected ISO-8601")


def test_until_accepts_iso_with_offset_and_naive(tmp_path, advise_json):
    path = m.breaker_events(tmp_path / "m.sqlite3", ROWS)
    offset = advise_json(path, until="2026-01-15T10:00:00+02:00", window_s=60)
    naive = advise_json(path, until="2026-01-15T08:00:00", window_s=60)
    assert offset["window"]["end"] == naive["window"]["end"] == "2026-01-15T08:00:00Z"


def test_table_lists_hosts_by_attention(tmp_path, run_advise):
    path = m.breaker_events(tmp_path / "m.sqlite3", ROWS)
    code, out, _ = run_advise("--until", "latest", path)
    assert code == 0
    lines = [line for line in out.splitlines() if ".example" in line]
    assert [line.split()[0] for line in lines] == ["quiet.example", "busy.example"]


def test_group_command_is_the_same_command(tmp_path):
    path = m.breaker_events(tmp_path / "m.sqlite3", ROWS)
    result = CliRunner().invoke(app, ["advise", "--format", "json", "--until", "latest", str(path)])
    assert result.exit_code == 0
    assert '"schema_version": 1' in result.stdout
