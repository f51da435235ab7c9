"""Breakers, not only hosts (docs/design.md "Breakers, and the time they were active").

The runtime keeps one breaker per host, and one more per (host, role) when the role is
tuned differently (``BreakerConfig.effective(host, role)`` differs from
``effective(host)``; ``advisor.telemetry.BreakerRegistry`` does exactly that, and its
listener writes the role on that breaker's state changes). A row of ``events`` belongs
to breaker (host, R) when R has a breaker of its own on that host in that run -- some
transition of the run carries R, or the configuration tunes R differently -- and to
(host, None), the host's own breaker, otherwise: the ``breaker_role`` column
(queries/events/view.sql). Open intervals, episodes, trials, streaks and replay
timelines are per breaker; a host's row sums its breakers.

``use_config`` hands the configuration's part to DuckDB (the ``configured_breakers``
variable the SQL macro ``configured_breaker`` reads): call it before the events are
finalised (``advisor.ingest.events.load_events`` / ``finalize_events``) so the half-open
repair sees the same breakers; ``refresh`` re-derives ``breaker_roles`` and the view
when the configuration is only known later.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import duckdb

from advisor import queries
from advisor.config import ROLES, BreakerConfig
from advisor.model import BreakerKey

VARIABLE_TYPE = "STRUCT(hosts VARCHAR[], pairs VARCHAR[][], roles VARCHAR[])"
_UNLISTED = ""  # a host no configuration names: built-ins, defaults and role defaults only


def configured_breakers(config: BreakerConfig) -> dict[str, list[Any]]:
    """The roles ``config`` gives a breaker of their own: ``hosts`` (the hosts it names)
    with ``pairs`` ``[host, role]`` for them, and ``roles`` for every other host."""
    roles = sorted(set(ROLES) | set(config.roles) | {role for _, role in config.host_roles})

    def own(host: str, role: str) -> bool:
        return config.effective(host, role) != config.effective(host)

    hosts = config.configured_hosts()
    return {
        "hosts": hosts,
        "pairs": [[host, role] for host in hosts for role in roles if own(host, role)],
        "roles": [role for role in roles if own(_UNLISTED, role)],
    }


def use_config(con: duckdb.DuckDBPyConnection, config: BreakerConfig) -> bool:
    """Tell the SQL side which roles ``config`` gives a breaker of their own; returns
    whether that changes what the connection knew (nothing set: no such role)."""
    value = configured_breakers(config)
    before: object = con.execute("SELECT getvariable('configured_breakers')").fetchall()[0][0]
    con.execute(f"SET VARIABLE configured_breakers = $v::{VARIABLE_TYPE}", {"v": value})
    if before is None:
        return bool(value["pairs"] or value["roles"])
    return before != value


def refresh(con: duckdb.DuckDBPyConnection) -> None:
    """Re-derive ``breaker_roles`` and the ``events`` view (after ``use_config`` on events
    already finalised; the half-open repair is not redone)."""
    con.execute(queries.load("events/view"))


def role_breakers(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """``{host: [role, ...]}``: hosts with a role that has a breaker of its own in some
    run (``breaker_roles``), roles sorted."""
    rows = con.execute(queries.load("events/role_breakers")).fetchall()
    return {host: list(roles) for host, roles in rows}


def several(keys: Iterable[BreakerKey]) -> dict[str, list[str | None]]:
    """``{host: [role, ...]}`` for the hosts whose breakers (``keys``) include one of a
    role: those list their breakers (the host's own first, then roles sorted)."""
    by_host: dict[str, list[str | None]] = {}
    for host, role in keys:
        by_host.setdefault(host, []).append(role)
    return {
        host: sorted(roles, key=lambda r: (r is not None, r or ""))
        for host, roles in by_host.items()
        if any(r is not None for r in roles)
    }
