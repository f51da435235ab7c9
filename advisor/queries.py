"""Load SQL queries from ``queries/<name>.sql`` by name (one query per file)."""

from __future__ import annotations

from functools import cache

from advisor.errors import QueryNotFoundError
from advisor.resources import queries_dir


def available() -> list[str]:
    """Names of every query shipped with the package, sorted."""
    return sorted(p.stem for p in queries_dir().glob("*.sql"))


@cache
def load(name: str) -> str:
    """Text of query ``name``; an unknown name lists the ones that exist."""
    path = queries_dir() / f"{name}.sql"
    if not path.is_file():
        raise QueryNotFoundError(f"no query named {name!r}; available: {', '.join(available())}")
    return path.read_text(encoding="utf-8")
