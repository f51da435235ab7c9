"""``breaker-advisor breaker show|open|close`` through Typer's CliRunner."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time

import pytest
from typer.testing import CliRunner

from advisor.cli.app import app
from advisor.telemetry import SQLiteCooldownStore
from advisor.telemetry.cooldown import ENV_STORE
from tests.helpers import manifests as m
from tests.helpers.manifests import T0

YAML = """\
defaults:
  fail_max: 5
  reset_timeout_s: 60
hosts:
  api.example.org:
    fail_max: 3
"""


@pytest.fixture
def env(tmp_path):
    config = tmp_path / "breakers.yaml"
    config.write_text(YAML)
    manifest = m.breaker_events(
        tmp_path / "manifest.sqlite3",
        [
            m.call(T0, "api.example.org", "success"),
            m.change(T0 + 5, "other.example.org", "CLOSED", "OPEN"),
        ],
        wal=True,
    )
    return {
        "config": config,
        "manifest": manifest,
        "store_url": f"sqlite://{tmp_path}/run/cooldowns.db",
        "store_path": tmp_path / "run" / "cooldowns.db",
    }


def invoke(*args, **kwargs):
    result = CliRunner().invoke(app, ["breaker", *map(str, args)], **kwargs)
    return result.exit_code, result.stdout, result.stderr


def manual_events(manifest):
    with sqlite3.connect(manifest) as con:
        rows = con.execute(
            "SELECT ts, host, event_type, details FROM breaker_events "
            "WHERE details LIKE '%manual%' ORDER BY id"
        ).fetchall()
    return [(ts, host, kind, json.loads(d)) for ts, host, kind, d in rows]


def show_json(env):
    code, out, err = invoke(
        "show", "--manifest", env["manifest"], "--cooldown-store", env["store_url"],
        "--config", env["config"], "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    return {row["host"]: row for row in json.loads(out)}


def test_open_show_close(env):
    before = time.time()
    code, out, err = invoke(
        "open", "API.example.org", "--seconds", "300", "--reason", "maintenance window",
        "--manifest", env["manifest"], "--cooldown-store", env["store_url"],
    )  # fmt: skip
    after = time.time()
    assert code == 0, err
    assert out.startswith("api.example.org: open until ") and "(300 s): maintenance window" in out
    assert f"recorded closed -> open (manual) in {env['manifest']}" in err
    cooldown = SQLiteCooldownStore(env["store_path"]).get("api.example.org")
    assert before + 300 <= cooldown.until <= after + 300
    assert cooldown.reason == "maintenance window"
    ((ts, host, kind, details),) = manual_events(env["manifest"])
    assert (host, kind) == ("api.example.org", "state_change")
    assert details == {
        "old_state": "closed",
        "new_state": "open",
        "reset_timeout_s": 300.0,
        "manual": True,
        "reason": "maintenance window",
        "run_id": "operator",
    }
    assert ts == cooldown.until - 300

    rows = show_json(env)
    assert set(rows) == {"api.example.org", "other.example.org"}
    opened = rows["api.example.org"]
    assert (opened["state"], opened["manual"]) == ("open", True)
    assert opened["cooldown_reason"] == "maintenance window"
    assert opened["cooldown_until"].endswith("Z")
    assert opened["config"]["fail_max"] == 3 and opened["origin"]["fail_max"] == "yaml"
    assert rows["other.example.org"]["state"] == "open"
    assert rows["other.example.org"]["since"] == "2026-01-15T08:00:05Z"
    assert rows["other.example.org"]["cooldown_until"] is None

    code, out, err = invoke(
        "close", "api.example.org", "--manifest", env["manifest"],
        "--cooldown-store", env["store_url"],
    )  # fmt: skip
    assert code == 0, err
    assert out.startswith("api.example.org: closed (cooldown until ")
    release = SQLiteCooldownStore(env["store_path"]).get("api.example.org")
    assert release.kind == "close" and not release.refuses(time.time())  # the workers' cue
    events = manual_events(env["manifest"])
    assert [(d["old_state"], d["new_state"], d["reason"]) for *_, d in events] == [
        ("closed", "open", "maintenance window"),
        ("open", "closed", "manual close"),
    ]
    rows = show_json(env)
    assert rows["api.example.org"]["state"] == "closed"
    assert rows["api.example.org"]["cooldown_until"] is None

    code, out, _ = invoke("close", "api.example.org", "--cooldown-store", env["store_url"])
    assert (code, out) == (0, "api.example.org: closed (there was no active cooldown)\n")


def test_show_table_and_filter(env):
    invoke(
        "open", "api.example.org", "--seconds", "60", "--reason", "deploy",
        "--manifest", env["manifest"], "--cooldown-store", env["store_url"],
    )  # fmt: skip
    code, out, err = invoke(
        "show", "--host", "api.example.org", "--manifest", env["manifest"],
        "--config", env["config"], "--cooldown-store", env["store_url"],
    )  # fmt: skip
    assert code == 0, err
    assert "api.example.org" in out and "open (manual)" in out and "(deploy)" in out
    assert "other.example.org" not in out
    for knob in ("fail_max", "reset_timeout_s", "retry_after_cap_s"):
        assert knob in out


def test_show_never_writes_the_manifest(env):
    digest = hashlib.sha256(env["manifest"].read_bytes()).hexdigest()
    assert invoke("show", "--manifest", env["manifest"], "--config", env["config"])[0] == 0
    assert hashlib.sha256(env["manifest"].read_bytes()).hexdigest() == digest


def test_the_store_can_come_from_the_environment(env):
    code, _, err = invoke(
        "open", "api.example.org", "--seconds", "5", "--reason", "x",
        env={ENV_STORE: env["store_url"]},
    )  # fmt: skip
    assert code == 0, err
    assert "not recorded in telemetry (no --manifest given)" in err
    assert SQLiteCooldownStore(env["store_path"]).get("api.example.org").reason == "x"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["open", "h.example.org", "--seconds", "5", "--reason", "x"], "no cooldown store"),
        (["show", "--manifest", "/nonexistent/manifest.sqlite3"], "manifest not found"),
        (["show", "--config", "/nonexistent/breakers.yaml"], "breaker config file not found"),
        (["open", "h", "--seconds", "0", "--reason", "x"], "--seconds"),
        (["show", "--cooldown-store", "redis://x"], "not supported"),
    ],
)
def test_usage_errors_exit_2_with_a_message(args, message):
    code, _, err = invoke(*args, env={ENV_STORE: ""})
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_every_command_has_help():
    for command in ("show", "open", "close"):
        code, out, _ = invoke(command, "--help")
        assert code == 0 and "Usage" in out


def test_show_without_flags_reads_the_guides_default_manifest(env, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DOCSTOKG_BREAKERS_YAML", raising=False)
    code, out, err = invoke("show", "--format", "json", env={ENV_STORE: ""})
    assert code == 0, err
    assert "no manifest at runs/content/manifest.sqlite3 (pass --manifest PATH)" in err
    assert json.loads(out) == []
    default = tmp_path / "runs" / "content" / "manifest.sqlite3"
    default.parent.mkdir(parents=True)
    default.write_bytes(env["manifest"].read_bytes())
    code, out, err = invoke("show", "--format", "json", env={ENV_STORE: ""})
    assert code == 0, err
    rows = {row["host"]: row for row in json.loads(out)}
    assert set(rows) == {"api.example.org", "other.example.org"}
    assert rows["other.example.org"]["state"] == "open"


def test_show_gives_the_live_state_and_its_age(env):
    now = time.time()
    SQLiteCooldownStore(env["store_path"]).set("api.example.org", now + 600, "Retry-After")
    rows = show_json(env)
    held = rows["api.example.org"]  # recorded closed (calls only), held in the store: open
    assert (held["state"], held["live_state"], held["cooldown_kind"]) == (
        "closed",
        "open",
        "cooldown",
    )
    assert 0 <= held["age_s"] < 60
    recorded = rows["other.example.org"]  # opened at T0 + 5 in the manifest
    assert recorded["live_state"] == "open"
    assert recorded["age_s"] == pytest.approx(time.time() - (T0 + 5), abs=60)
    code, out, err = invoke(
        "show", "--manifest", env["manifest"], "--cooldown-store", env["store_url"],
        "--config", env["config"],
    )  # fmt: skip
    assert code == 0, err
    assert "live" in out and "age" in out and " s " in out


def test_close_of_an_unknown_host_writes_nothing(env):
    digest = hashlib.sha256(env["manifest"].read_bytes()).hexdigest()
    code, out, err = invoke(
        "close", "nobody.example.org", "--manifest", env["manifest"],
        "--cooldown-store", env["store_url"], "--config", env["config"],
    )  # fmt: skip
    assert code == 2 and out == ""
    assert "nobody.example.org: unknown host" in err and "nothing changed" in err
    assert hashlib.sha256(env["manifest"].read_bytes()).hexdigest() == digest
    assert not env["store_path"].exists() or not SQLiteCooldownStore(env["store_path"]).all()


def test_close_of_a_host_that_is_not_open_records_nothing(env):
    code, out, err = invoke(
        "close", "api.example.org", "--manifest", env["manifest"],
        "--cooldown-store", env["store_url"], "--config", env["config"],
    )  # fmt: skip
    assert code == 0, err
    assert "nothing recorded in" in err
    assert manual_events(env["manifest"]) == []


def test_close_reaches_a_breaker_tripped_in_a_workers_memory(env, tmp_path):
    """The operator's release goes through the store; the worker's registry closes its
    breaker and records that in its own manifest, not the operator."""
    from advisor.config import load_config
    from advisor.simulate import VirtualClock, pybreaker_clock
    from advisor.telemetry import BreakerRegistry, ManifestWriter

    clock = VirtualClock(time.time())
    worker_manifest = tmp_path / "worker.sqlite3"
    writer = ManifestWriter(worker_manifest, run_id="worker", flush_interval_s=None)
    registry = BreakerRegistry(
        load_config(env["config"], env={}), writer, SQLiteCooldownStore(env["store_path"]), clock
    )

    def down() -> None:
        raise OSError("down")

    with pybreaker_clock(clock):
        for _ in range(3):
            with pytest.raises(OSError):
                registry.call("api.example.org", down)
        assert registry.state("api.example.org") == "open"
        code, _, err = invoke("close", "api.example.org", "--cooldown-store", env["store_url"])
        assert code == 2 and "unknown host" in err  # nothing tells this CLI about the host
        code, _, err = invoke(
            "close", "api.example.org", "--cooldown-store", env["store_url"], "--force"
        )
        assert code == 0, err
        assert "not recorded in telemetry (no --manifest given)" in err
        clock.now += 1  # well inside the 60 s reset timeout
        assert registry.call("api.example.org", lambda: "ok") == "ok"
    writer.close()
    assert [(d["old_state"], d["new_state"]) for *_, d in manual_events(worker_manifest)] == [
        ("open", "closed")
    ]
    assert manual_events(env["manifest"]) == []  # the operator wrote no manifest
