"""``breaker open`` / ``close`` validate before they write and report exactly what was
done (issue 13, item 8): an absurd ``--seconds`` writes nothing; a corrupt
``--manifest`` changes nothing; a cooldown set but not recorded says so; a store
holding a deadline no calendar has (written by an older version) is shown and cleared
without a traceback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor.cli.app import app
from advisor.telemetry import SQLiteCooldownStore, control
from tests.helpers import manifests as m
from tests.helpers.manifests import T0


def invoke(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["breaker", *map(str, args)])
    return result.exit_code, result.stdout, result.stderr


def no_traceback(err: str) -> None:
    assert "Traceback" not in err and "internal error" not in err, err


@pytest.mark.parametrize("seconds", ["inf", "1e308", "1e12"])
def test_absurd_seconds_write_nothing(tmp_path, seconds):
    store = tmp_path / "cooldowns.db"
    manifest = m.breaker_events(tmp_path / "m.sqlite3", [m.call(T0, "a.example", "success")])
    before = manifest.read_bytes()
    code, out, err = invoke(
        "open",
        "a.example",
        "--seconds",
        seconds,
        "--reason",
        "r",
        "--cooldown-store",
        f"sqlite:{store}",
        "--manifest",
        manifest,
    )
    assert code == 2, (out, err)
    no_traceback(err)
    assert "--seconds" in err and "10,000,000" in err
    assert not store.exists() and manifest.read_bytes() == before
    code, out, err = invoke("show", "--cooldown-store", f"sqlite:{store}")
    assert code == 0 and "a.example" not in out, (out, err)


@pytest.mark.parametrize("content", [b"not a database at all", b"SQLite format 3\x00" + b"\0" * 50])
@pytest.mark.parametrize("command", ["open", "close"])
def test_a_corrupt_manifest_changes_nothing(tmp_path, content, command):
    store = tmp_path / "cooldowns.db"
    SQLiteCooldownStore(store).set("a.example", 4e9, "earlier hold")
    corrupt = tmp_path / "corrupt.sqlite3"
    corrupt.write_bytes(content)
    extra = ["--seconds", "60", "--reason", "r"] if command == "open" else []
    code, out, err = invoke(
        command, "a.example", *extra, "--cooldown-store", f"sqlite:{store}", "--manifest", corrupt
    )
    assert code == 2, (out, err)
    no_traceback(err)
    verb = "opened" if command == "open" else "closed"
    assert f"a.example not {verb}, nothing changed: {corrupt}" in err
    assert out == ""
    cooldown = SQLiteCooldownStore(store).get("a.example")
    assert cooldown is not None and (cooldown.until, cooldown.reason) == (4e9, "earlier hold")
    assert corrupt.read_bytes() == content


def test_a_cooldown_set_but_not_recorded_says_exactly_that(tmp_path, monkeypatch):
    store = tmp_path / "cooldowns.db"
    manifest = m.breaker_events(tmp_path / "m.sqlite3", [m.call(T0, "a.example", "success")])

    def disk_full(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(control.ManifestWriter, "record", disk_full)
    code, out, err = invoke(
        "open",
        "a.example",
        "--seconds",
        "60",
        "--reason",
        "r",
        "--cooldown-store",
        f"sqlite:{store}",
        "--manifest",
        manifest,
    )
    assert code == 1, (out, err)
    no_traceback(err)
    assert "a.example: cooldown set until " in err
    assert f"but not recorded in {manifest}: No space left on device" in err
    assert SQLiteCooldownStore(store).get("a.example") is not None


def test_an_impossible_stored_deadline_is_shown_and_cleared(tmp_path):
    store = tmp_path / "old.db"
    with sqlite3.connect(store) as con:
        con.execute(  # a store of an older version: no kind column
            "CREATE TABLE breaker_cooldowns "
            "(host TEXT PRIMARY KEY, until REAL NOT NULL, reason TEXT, set_at REAL)"
        )
        con.execute("INSERT INTO breaker_cooldowns VALUES ('x.example', 1e999, 'old', 0)")
    url = f"sqlite:{store}"
    for args in (["show"], ["show", "--format", "json"]):
        code, out, err = invoke(*args, "--cooldown-store", url)
        assert code == 0, err
        assert "x.example" in out and "inf (not a valid time)" in out
    code, out, err = invoke("close", "x.example", "--cooldown-store", url)
    assert code == 0, err
    assert "x.example: closed (cooldown until inf (not a valid time) cleared)" in out
    assert SQLiteCooldownStore(store).get("x.example").kind == "close"


def test_open_records_once_when_all_is_well(tmp_path):
    store = tmp_path / "cooldowns.db"
    manifest: Path = tmp_path / "new" / "m.sqlite3"
    manifest.parent.mkdir()
    code, out, err = invoke(
        "open",
        "a.example",
        "--seconds",
        "1e7",
        "--reason",
        "maintenance",
        "--cooldown-store",
        f"sqlite:{store}",
        "--manifest",
        manifest,
    )
    assert code == 0, err
    assert out.startswith("a.example: open until ") and "(1e+07 s)" in out
    assert "recorded closed -> open (manual)" in err
    with sqlite3.connect(manifest) as con:
        assert con.execute("SELECT count(*) FROM breaker_events").fetchone()[0] == 1
