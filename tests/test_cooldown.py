"""Cooldown stores: in-memory and SQLite, URL parsing, sharing between processes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from advisor.errors import ConfigError
from advisor.telemetry import InMemoryCooldownStore, SQLiteCooldownStore, from_env, open_store
from advisor.telemetry.cooldown import ENV_STORE, parse_store_url
from tests.helpers.manifests import T0


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path):
    if request.param == "memory":
        return InMemoryCooldownStore()
    return SQLiteCooldownStore(tmp_path / "deep" / "cooldowns.db")


def test_set_get_clear_all(store):
    assert store.get("api.example.org") is None
    assert store.all() == []
    store.set(" API.Example.org ", T0 + 300, "maintenance")
    store.set("b.example.org", T0 + 10, "Retry-After 10 s")
    got = store.get("api.example.org")
    assert (got.host, got.until, got.reason) == ("api.example.org", T0 + 300, "maintenance")
    assert got.active(T0) and not got.active(T0 + 300)
    assert [c.host for c in store.all()] == ["api.example.org", "b.example.org"]
    store.set("api.example.org", T0 + 5, "shorter")  # replaces
    assert store.get("API.EXAMPLE.ORG").until == T0 + 5
    assert store.clear("api.example.org") is True
    assert store.clear("api.example.org") is False
    assert store.get("api.example.org") is None
    assert [c.host for c in store.all()] == ["b.example.org"]


def test_sqlite_store_creates_its_file_in_wal_mode(tmp_path):
    path = tmp_path / "a" / "b" / "cooldowns.db"
    store = SQLiteCooldownStore(path)
    store.set("h", T0, "x")
    store.close()
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "sqlite:///var/run/docstokg/breakers/cooldowns.db",
            "/var/run/docstokg/breakers/cooldowns.db",
        ),
        ("sqlite:////var/run/cooldowns.db", "/var/run/cooldowns.db"),
        ("sqlite:rel/cooldowns.db", "rel/cooldowns.db"),
        ("/plain/path.db", "/plain/path.db"),
    ],
)
def test_store_urls(url, expected):
    assert parse_store_url(url) == Path(expected)


@pytest.mark.parametrize("url", ["redis://localhost:6379/0", "sqlite://host/x.db", "sqlite://"])
def test_bad_store_urls(url):
    with pytest.raises(ConfigError, match="cooldown store"):
        parse_store_url(url)


def test_from_env(tmp_path):
    assert isinstance(from_env({}), InMemoryCooldownStore)
    assert isinstance(open_store("memory"), InMemoryCooldownStore)
    store = from_env({ENV_STORE: f"sqlite://{tmp_path}/c.db"})
    assert isinstance(store, SQLiteCooldownStore) and store.path == tmp_path / "c.db"
    with pytest.raises(ConfigError, match=ENV_STORE):
        from_env({ENV_STORE: "redis://x"})


def test_shared_between_processes(tmp_path):
    url = f"sqlite://{tmp_path}/shared/cooldowns.db"
    here = from_env({ENV_STORE: url})
    here.set("api.example.org", T0 + 600, "maintenance")
    other = textwrap.dedent(
        """
        from advisor.telemetry import from_env
        store = from_env()
        found = store.get("api.example.org")
        print(found.until, found.reason)
        store.set("b.example.org", 1800000100.0, "from the other process")
        store.clear("api.example.org")
        """
    )
    env = {"PATH": "/usr/bin:/bin", ENV_STORE: url}
    done = subprocess.run(
        [sys.executable, "-c", other], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split(maxsplit=1) == [str(T0 + 600), "maintenance\n"]
    assert here.get("api.example.org") is None
    assert here.get("b.example.org").reason == "from the other process"
