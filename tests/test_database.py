"""Identifier quoting: the one helper every formatted table or database name goes through."""

from __future__ import annotations

import duckdb

from advisor.ingest.database import quote_identifier


def test_quoted_identifiers_name_exactly_that_table():
    con = duckdb.connect()
    try:
        for name in ["plain", 'with "quotes"', "semi; DROP TABLE x; --", "Ünïcode space"]:
            con.execute(f"CREATE TABLE {quote_identifier(name)} (v INTEGER)")
            con.execute(f"INSERT INTO {quote_identifier(name)} VALUES (1)")
        tables = sorted(
            r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        )
        assert tables == sorted(
            ["plain", 'with "quotes"', "semi; DROP TABLE x; --", "Ünïcode space"]
        )
    finally:
        con.close()
    assert quote_identifier('a"b') == '"a""b"'
