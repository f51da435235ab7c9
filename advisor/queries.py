"""Load SQL queries from ``queries/<folder>/<name>.sql`` by name (one query per file).

A query's name is its path below ``queries/`` without the ``.sql`` suffix, with ``/``
between folders: ``load("events/breaker_events")``.
"""

from __future__ import annotations

from functools import cache

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
