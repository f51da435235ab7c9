"""Issue 13, item 12 (low): a memory limit with a spill folder and out-of-memory as a
one-line error; terminal escapes in host names shown escaped; ``breaker show`` never
creates a cooldown store; ``--host`` that matches nothing says so; negative
Retry-After values are bad rows; a live rollback-journal source is warned about once."""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from advisor import cli
from advisor.cli.app import app
from advisor.ingest import database
from advisor.ingest.sources import ROLLBACK_WARNING
from tests.helpers import manifests as m
from tests.helpers.manifests import T0, call, change

EVIL = "\x1b[31mevil\x1b]0;pwned\x07.example"
ROWS = [change(T0, "a.example", "closed", "open")] + [
    call(T0 + 1 + i, "a.example", "success") for i in range(30)
]
WINDOW = ["--until", str(T0 + 600), "--window-s", "3600"]


def run(*args: object, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(a) for a in args], env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(autouse=True)
def _default_memory_limit():
    yield
    database.set_memory_limit(None)


def settings() -> tuple[str, str]:
    con = database.connect()
    try:
        return con.execute(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
        ).fetchone()
    finally:
        con.close()


def test_memory_limit_option_and_environment(monkeypatch):
    database.set_memory_limit("1GiB")
    limit, spill = settings()
    assert limit in ("1.0 GiB", "1024.0 MiB")
    assert Path(spill).parent == Path(tempfile.gettempdir())
    assert Path(spill).name.startswith("breaker-advisor-spill-")
    database.set_memory_limit(None)
    monkeypatch.setenv(database.ENV_MEMORY_LIMIT, "512MB")
    assert database.memory_limit() == 512_000_000
    monkeypatch.delenv(database.ENV_MEMORY_LIMIT)
    assert database.memory_limit() >= database.MIN_MEMORY  # the default: bounded


@pytest.mark.parametrize("value", ["lots", "1MB", "-5GB", "1e308"])
def test_bad_memory_limits_are_usage_errors(tmp_path, value):
    manifest = m.breaker_events(tmp_path / "m.sqlite3", ROWS)
    code, _, err = run("advise", manifest, *WINDOW, "--memory-limit", value)
    assert code == 2 and err.startswith("Error: --memory-limit") and len(err.splitlines()) == 1


def test_the_analysis_runs_within_a_small_limit(tmp_path):
    manifest = m.breaker_events(tmp_path / "m.sqlite3", ROWS)
    code, out, err = run("advise", manifest, *WINDOW, "--memory-limit", "64MiB", "-f", "json")
    assert code == 0, err
    assert json.loads(out)["hosts"][0]["host"] == "a.example"


def test_out_of_memory_is_one_line_naming_the_option(tmp_path, monkeypatch, capsys):
    manifest = m.breaker_events(tmp_path / "m.sqlite3", ROWS)

    def oom(*args, **kwargs):
        raise duckdb.OutOfMemoryException(
            "Out of Memory Error: failed to allocate data of size 1.0 GiB (900 MiB/953 MiB used)"
        )

    monkeypatch.setattr("advisor.cli.common.analyze", oom)
    monkeypatch.setattr(sys, "argv", ["breaker-advise", str(manifest), *WINDOW])
    with pytest.raises(SystemExit) as exit_:
        cli.advise_main()
    assert exit_.value.code == 4
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("Error: out of memory")
    assert "--memory-limit" in err and database.ENV_MEMORY_LIMIT in err
    assert "Traceback" not in err and "internal error" not in err


def test_out_of_memory_while_reading_is_not_blamed_on_the_source():
    from advisor.ingest.events import fail_source
    from advisor.ingest.sources import Source

    source = Source(path="x.sqlite3")
    with pytest.raises(duckdb.OutOfMemoryException):
        fail_source(None, source, "t", duckdb.OutOfMemoryException("Out of Memory Error"))  # type: ignore[arg-type]
    assert source.readable


def test_escape_sequences_in_host_names_are_shown_escaped(tmp_path):
    manifest = m.breaker_events(tmp_path / "m.sqlite3", [*ROWS, call(T0 + 40, EVIL, "success")])
    code, out, err = run("advise", manifest, *WINDOW)
    assert code == 0, err
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b[31mevil\\x1b]0;pwned\\x07.example" in out
    code, out, err = run("breaker", "show", "--manifest", manifest)
    assert code == 0, err
    assert "\x1b" not in out and "\\x1b[31mevil" in out


def test_breaker_show_never_creates_the_cooldown_store(tmp_path):
    store = tmp_path / "run" / "cooldowns.db"
    code, out, err = run("breaker", "show", "--cooldown-store", f"sqlite:{store}")
    assert code == 0, err
    assert not store.exists() and not store.parent.exists()
    assert f"no cooldown store at {store}" in err


def test_a_host_that_matches_nothing_says_so(tmp_path):
    manifest = m.breaker_events(tmp_path / "m.sqlite3", ROWS)
    for command in (["advise"], ["report", "--out", tmp_path / "r.html"]):
        code, out, err = run(*command, manifest, *WINDOW, "--host", "Typo.example",
                             "--host", "A.example")  # fmt: skip
        assert code == 0, err
        assert "Warning: --host Typo.example: no such host" in err
        assert "A.example" not in err


def test_negative_retry_after_values_are_bad_rows(tmp_path):
    rows = [*ROWS, call(T0 + 50, "a.example", "failure", retry_after_s=-5)]
    events = m.breaker_events(tmp_path / "e.sqlite3", rows)
    http = m.http_events(
        tmp_path / "h.sqlite3",
        [dict(run_id="r", ts=T0 + 60, host="b.example", status=429, retry_after_s=-3,
              breaker_state="closed", breaker_recorded="failure")],
    )  # fmt: skip
    code, out, err = run("advise", events, http, *WINDOW, "-f", "json")
    assert code == 0, err
    sources = {Path(s["path"]).name: s for s in json.loads(out)["sources"]}
    assert sources["e.sqlite3"]["skipped"] == 1 and sources["h.sqlite3"]["skipped"] == 1
    assert any(
        "retry_after_s -5.0" in w and "rowid 32" in w for w in sources["e.sqlite3"]["warnings"]
    )


def test_a_live_rollback_journal_source_is_warned_about_once(tmp_path):
    path = m.breaker_events(tmp_path / "live.sqlite3", ROWS)
    m.breaker_transitions(path, [("r", T0 + 5, "a.example", None, "open", "half_open", 30)])
    writer = sqlite3.connect(path)  # a live runtime in rollback-journal mode
    try:
        writer.execute("PRAGMA journal_mode=TRUNCATE")  # its -journal stays beside the file
        writer.execute("INSERT INTO breaker_transitions (host) VALUES ('z.example')")
        writer.commit()
        assert path.with_name("live.sqlite3-journal").exists()
        quiet = m.breaker_events(tmp_path / "finished.sqlite3", ROWS)  # no journal: no warning
        code, out, err = run("advise", path, quiet, *WINDOW, "-f", "json")
    finally:
        writer.close()
    assert code == 0, err
    sources = {Path(s["path"]).name: s for s in json.loads(out)["sources"]}
    assert sources["live.sqlite3"]["warnings"].count(ROLLBACK_WARNING) == 1
    assert ROLLBACK_WARNING not in sources["finished.sqlite3"]["warnings"]
    assert err.count("rollback-journal") == 1
