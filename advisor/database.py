"""A DuckDB connection with the sqlite extension loaded from the installed wheel.

The extension comes from the ``duckdb-extension-sqlite-scanner`` package (same
version as ``duckdb``); DuckDB's own auto-install from the internet is switched off.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import duckdb

from advisor.errors import AdvisorError


def sqlite_extension_path() -> Path:
    """Path of ``sqlite_scanner.duckdb_extension`` matching the installed duckdb version."""
    import duckdb_extension_sqlite_scanner as ext_pkg

    root = Path(ext_pkg.__file__).resolve().parent / "extensions"
    wanted = root / f"v{duckdb.__version__}" / "sqlite_scanner.duckdb_extension"
    if wanted.is_file():
        return wanted
    found = sorted(root.glob("*/sqlite_scanner.duckdb_extension"))
    raise AdvisorError(
        f"duckdb {duckdb.__version__} needs duckdb-extension-sqlite-scanner=={duckdb.__version__}; "
        f"installed package has {', '.join(p.parent.name for p in found) or 'nothing'}"
    )


def sql_literal(text: str) -> str:
    """Quote ``text`` as a SQL string literal, for the few statements (ATTACH, INSTALL)
    that take no prepared parameters."""
    if "\x00" in text:
        raise AdvisorError("a path may not contain a NUL character")
    return "'" + text.replace("'", "''") + "'"


def connect(database: str = ":memory:", *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open DuckDB with UTC as time zone and the sqlite extension loaded offline."""
    con = duckdb.connect(
        database,
        read_only=read_only,
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        },
    )
    con.execute(f"INSTALL {sql_literal(str(sqlite_extension_path()))}")
    con.execute("LOAD sqlite_scanner")
    con.execute("SET TimeZone = 'UTC'")
    # Never draw a progress bar on stdout (it would break --format json); Jupyter without
    # ipywidgets refuses the change, and draws nothing there anyway.
    with contextlib.suppress(duckdb.Error):
        con.execute("SET enable_progress_bar = false")
    # Columns are read with SQLite's declared types (fast); a table whose values do not
    # match them is re-read as text by advisor.events (see sqlite_all_varchar there).
    con.execute("SET sqlite_all_varchar = false")
    return con
