"""Per-host cooldowns: "refuse calls to this host until epoch second X", with a reason.

A cooldown comes from a server's Retry-After or an operator's ``breaker open``. The
SQLite store shares them between the worker processes (and the operator's CLI) that
point at one file: ``DOCSTOKG_BREAKER_COOLDOWN_STORE=sqlite:///var/run/x/cooldowns.db``.

The store is also the operator's channel to breakers held in workers' memory: an entry's
``kind`` is ``cooldown`` (a Retry-After: refuse until ``until``), ``open`` (an operator's
hold: refuse until ``until``, recorded by each registry as a manual transition) or
``close`` (an operator's release: each registry closes its breakers of that host on its
next call to it, and records that, until ``until``).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from advisor.errors import ConfigError, TelemetryError
from advisor.telemetry._sqlite import connect, in_transaction, retry_busy

ENV_STORE = "DOCSTOKG_BREAKER_COOLDOWN_STORE"
KINDS = ("cooldown", "open", "close")


@dataclass(frozen=True)
class Cooldown:
    """One host's entry: calls are refused while ``now < until`` (epoch seconds), unless
    ``kind`` is ``close`` (an operator's release, obeyed until ``until``)."""

    host: str
    until: float
    reason: str = ""
    set_at: float | None = None
    kind: str = "cooldown"

    def active(self, now: float | None = None) -> bool:
        """Whether the deadline is still ahead of ``now`` (wall clock when None)."""
        return self.until > (time.time() if now is None else now)

    def refuses(self, now: float) -> bool:
        """Whether calls are refused at ``now`` (a hold or Retry-After, not a release)."""
        return self.kind != "close" and self.until > now


class CooldownStore(Protocol):
    """What the registry and the operator commands need from a store."""

    def set(
        self, host: str, until: float, reason: str = "", kind: str = "cooldown"
    ) -> Cooldown: ...

    def get(self, host: str) -> Cooldown | None: ...

    def clear(self, host: str) -> bool: ...

    def all(self) -> list[Cooldown]: ...


@lru_cache(maxsize=4096)
def _key(host: str) -> str:
    return host.strip().casefold()


class InMemoryCooldownStore:
    """Cooldowns of one process (the default when no shared store is configured)."""

    def __init__(self) -> None:
        self._items: dict[str, Cooldown] = {}
        self._lock = threading.Lock()

    def set(self, host: str, until: float, reason: str = "", kind: str = "cooldown") -> Cooldown:
        """Set (replace) ``host``'s entry."""
        cooldown = Cooldown(_key(host), float(until), reason, time.time(), _kind(kind))
        with self._lock:
            self._items[cooldown.host] = cooldown
        return cooldown

    def get(self, host: str) -> Cooldown | None:
        """``host``'s stored cooldown (possibly expired), or None."""
        items = self._items
        if not items:
            return None
        found = items.get(host)
        return found if found is not None else items.get(_key(host))

    def clear(self, host: str) -> bool:
        """Remove ``host``'s cooldown; whether there was one."""
        with self._lock:
            return self._items.pop(_key(host), None) is not None

    def all(self) -> list[Cooldown]:
        """Every stored cooldown, by host."""
        with self._lock:
            return sorted(self._items.values(), key=lambda c: c.host)


class SQLiteCooldownStore:
    """Cooldowns in a SQLite file (WAL, busy timeout), shared by processes.

    The file and its folder are created on first use.

    Args:
        path: the database file.
        busy_timeout_s: how long a write waits for other processes.
    """

    SCHEMA = (
        "CREATE TABLE IF NOT EXISTS breaker_cooldowns "
        "(host TEXT PRIMARY KEY, until REAL NOT NULL, reason TEXT, set_at REAL, kind TEXT)"
    )
    _COLUMNS = "host, until, reason, set_at, coalesce(kind, 'cooldown')"

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout_s: float = 10.0) -> None:
        self.path = Path(path)
        self.busy_timeout_s = busy_timeout_s
        self._con: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._pid = os.getpid()

    @classmethod
    def from_url(cls, url: str) -> SQLiteCooldownStore:
        """``sqlite:///abs/path.db`` (or ``sqlite:////abs``), ``sqlite:rel.db`` or a plain path.

        Raises:
            ConfigError: another scheme.
        """
        return cls(parse_store_url(url))

    def set(self, host: str, until: float, reason: str = "", kind: str = "cooldown") -> Cooldown:
        """Set (replace) ``host``'s entry.

        Raises:
            TelemetryError: the file cannot be written.
        """
        cooldown = Cooldown(_key(host), float(until), reason, time.time(), _kind(kind))
        self._write(
            "INSERT OR REPLACE INTO breaker_cooldowns (host, until, reason, set_at, kind) "
            "VALUES (?, ?, ?, ?, ?)",
            (cooldown.host, cooldown.until, cooldown.reason, cooldown.set_at, cooldown.kind),
        )
        return cooldown

    def get(self, host: str) -> Cooldown | None:
        """``host``'s stored cooldown (possibly expired), or None."""
        rows = self._read(
            f"SELECT {self._COLUMNS} FROM breaker_cooldowns WHERE host = ?",
            (_key(host),),
        )
        return Cooldown(*rows[0]) if rows else None

    def clear(self, host: str) -> bool:
        """Remove ``host``'s cooldown; whether there was one."""
        return self._write("DELETE FROM breaker_cooldowns WHERE host = ?", (_key(host),)) > 0

    def all(self) -> list[Cooldown]:
        """Every stored cooldown, by host."""
        rows = self._read(f"SELECT {self._COLUMNS} FROM breaker_cooldowns ORDER BY host", ())
        return [Cooldown(*row) for row in rows]

    def close(self) -> None:
        """Close the connection (reopened on next use)."""
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None

    def __repr__(self) -> str:
        return f"SQLiteCooldownStore({str(self.path)!r})"

    def _connection(self) -> sqlite3.Connection:
        if self._con is not None and self._pid == os.getpid():
            return self._con
        self._pid = os.getpid()
        con = connect(self.path, self.busy_timeout_s, "cooldown store")

        def prepare() -> None:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute(self.SCHEMA)
            columns = {row[1] for row in con.execute("PRAGMA table_info(breaker_cooldowns)")}
            if "kind" not in columns:  # a store written before operator releases existed
                try:
                    con.execute("ALTER TABLE breaker_cooldowns ADD COLUMN kind TEXT")
                except sqlite3.OperationalError as exc:
                    if "duplicate column" not in str(exc):  # another process added it
                        raise

        try:
            retry_busy(prepare, self.path, self.busy_timeout_s)
        except TelemetryError:
            con.close()
            raise
        self._con = con
        return con

    def _write(self, sql: str, params: tuple[object, ...]) -> int:
        with self._lock:
            con = self._connection()
            changed = [0]

            def run() -> None:
                changed[0] = con.execute(sql, params).rowcount

            retry_busy(lambda: in_transaction(con, run), self.path, self.busy_timeout_s)
            return changed[0]

    def _read(self, sql: str, params: tuple[object, ...]) -> list[tuple[Any, ...]]:
        # SQLite values are untyped; the table's columns match Cooldown's fields
        with self._lock:
            con = self._connection()
            rows: list[tuple[Any, ...]] = []

            def run() -> None:
                rows[:] = con.execute(sql, params).fetchall()

            retry_busy(run, self.path, self.busy_timeout_s)
            return rows


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"cooldown kind {kind!r}: expected one of {', '.join(KINDS)}")
    return kind


def parse_store_url(url: str) -> Path:
    """The file of a cooldown store URL.

    ``sqlite:///var/run/x.db`` and ``sqlite:////var/run/x.db`` are ``/var/run/x.db`` (the
    seed guide's spelling and SQLAlchemy's); ``sqlite:x.db`` and a plain path are as given.

    Raises:
        ConfigError: an empty value or another scheme.
    """
    text = url.strip()
    if not text:
        raise ConfigError("empty cooldown store URL; expected sqlite:///path/to/cooldowns.db")
    if text.startswith("sqlite://"):
        rest = text[len("sqlite://") :]
        if not rest.startswith("/") or rest.strip("/") == "":
            raise ConfigError(
                f"cooldown store {url!r}: expected sqlite:///absolute/path.db or sqlite:relative.db"
            )
        return Path("/" + rest.lstrip("/"))
    if text.startswith("sqlite:"):
        return Path(text[len("sqlite:") :])
    if "://" in text:
        scheme = text.split("://", 1)[0]
        raise ConfigError(
            f"cooldown store {url!r}: scheme {scheme!r} not supported; expected sqlite:///path.db"
        )
    return Path(text)


def open_store(url: str | None) -> CooldownStore:
    """A store for ``url``: SQLite for a URL or path, in-memory for None, ``""`` or ``memory``.

    Raises:
        ConfigError: a malformed URL.
    """
    if url is None or not url.strip() or url.strip().lower() in ("memory", "memory://"):
        return InMemoryCooldownStore()
    return SQLiteCooldownStore.from_url(url)


def from_env(env: Mapping[str, str] | None = None) -> CooldownStore:
    """The store named by ``$DOCSTOKG_BREAKER_COOLDOWN_STORE``; in-memory when unset.

    Raises:
        ConfigError: a malformed value (the message names the variable).
    """
    env = os.environ if env is None else env
    value = env.get(ENV_STORE)
    try:
        return open_store(value)
    except ConfigError as exc:
        raise ConfigError(f"{ENV_STORE}={value!r}: {exc}") from None
