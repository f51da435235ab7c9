"""Fingerprints of a nightly history store, to prove that a run changed it or left it
exactly as it was (rerun idempotence, crash safety)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from advisor.ingest.store import ALIAS, STORE_TABLES, open_store


def table_checksums(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int]]:
    """``{table: (rows, order-independent hash)}`` of every table of the attached store."""
    result = {}
    for table in (*STORE_TABLES, "store_meta"):
        # table names cannot be parameters; both come from our own constants
        rows, digest = con.execute(
            f"SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0) FROM {ALIAS}.{table} AS t"
        ).fetchone()
        result[table] = (int(rows), int(digest))
    return result


def checksums(store: Path) -> dict[str, tuple[int, int]]:
    """``table_checksums`` of the store file at ``store``, opened read-only."""
    con = open_store(store, read_only=True)
    try:
        return table_checksums(con)
    finally:
        con.close()
