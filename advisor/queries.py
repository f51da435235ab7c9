"""Load SQL queries from ``queries/<folder>/<name>.sql`` by name (one query per file).

A query's name is its path below ``queries/`` without the ``.sql`` suffix, with ``/``
between folders: ``load("events/breaker_events")``.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import duckdb

from advisor.errors import QueryNotFoundError
from advisor.resources import queries_dir


def available() -> list[str]:
    """Names of every query shipped with the package (subfolders included), sorted."""
    root = queries_dir()
    return sorted(p.relative_to(root).with_suffix("").as_posix() for p in root.rglob("*.sql"))


@cache
def load(name: str) -> str:
    """Text of query ``name``; an unknown name lists the ones that exist."""
    parts = name.split("/")
    path = queries_dir().joinpath(*parts[:-1], f"{parts[-1]}.sql")
    if any(part in ("", ".", "..") for part in parts) or not path.is_file():
        raise QueryNotFoundError(f"no query named {name!r}; available: {', '.join(available())}")
    return path.read_text(encoding="utf-8")


def split_statements(sql: str) -> list[str]:
    """The statements of a multi-statement query file (no ``;`` inside literals there)."""
    body = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in body.split(";") if s.strip()]


def run_script(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> None:
    """Run every statement of query ``name``, each with the ``$parameters`` it names
    (DuckDB prepares one statement at a time)."""
    for statement in split_statements(load(name)):
        used = {k: v for k, v in params.items() if re.search(rf"\${re.escape(k)}\b", statement)}
        con.execute(statement, used)
