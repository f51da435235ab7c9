"""A DuckDB connection with the sqlite extension loaded from the installed wheel.

The extension comes from the ``duckdb-extension-sqlite-scanner`` package (same
version as ``duckdb``); DuckDB's own auto-install from the internet is switched off.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import resource
import shutil
import tempfile
from pathlib import Path

import duckdb

from advisor.errors import AdvisorError, UsageError

ENV_MEMORY_LIMIT = "BREAKER_ADVISOR_MEMORY_LIMIT"
MIN_MEMORY = 64 << 20  # below this DuckDB cannot run the analysis at all
_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1 << 10, "m": 1000**2, "mb": 1000**2,
          "mib": 1 << 20, "g": 1000**3, "gb": 1000**3, "gib": 1 << 30, "t": 1000**4,
          "tb": 1000**4, "tib": 1 << 40}  # fmt: skip
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")
_memory_limit: int | None = None  # --memory-limit of this process, in bytes
_spill_folder: Path | None = None


def parse_size(text: str, name: str = "--memory-limit") -> int:
    """``"2GB"``, ``"1.5GiB"``, ``"800MB"`` -> bytes (at least 64 MiB).

    Raises:
        UsageError: not a size, or too small.
    """
    match = _SIZE.match(text)
    unit = match.group(2).lower() if match else ""
    if not match or unit not in _UNITS:
        raise UsageError(f"{name} {text!r}: expected a size such as 2GB, 1.5GiB or 800MB")
    size = int(float(match.group(1)) * _UNITS[unit])
    if size < MIN_MEMORY:
        raise UsageError(f"{name} {text!r}: at least 64MiB")
    return size


def set_memory_limit(text: str | None) -> None:
    """Use ``text`` (``--memory-limit``) as DuckDB's memory limit in this process; None:
    ``$BREAKER_ADVISOR_MEMORY_LIMIT``, else the default (``memory_limit``).

    Raises:
        UsageError: a malformed size.
    """
    global _memory_limit
    _memory_limit = None if text is None else parse_size(text)


def memory_limit() -> int:
    """DuckDB's memory limit in bytes: ``--memory-limit``, else
    ``$BREAKER_ADVISOR_MEMORY_LIMIT``, else 80 % of the physical memory capped at half
    the address-space limit (``ulimit -v``) when one is set.

    Raises:
        UsageError: a malformed ``$BREAKER_ADVISOR_MEMORY_LIMIT``.
    """
    if _memory_limit is not None:
        return _memory_limit
    env = os.environ.get(ENV_MEMORY_LIMIT, "").strip()
    if env:
        return parse_size(env, ENV_MEMORY_LIMIT)
    limit = int(0.8 * os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        limit = min(limit, soft // 2)
    return max(limit, MIN_MEMORY)


def spill_dir() -> Path:
    """A private folder in the system temp directory for DuckDB's spill files (never
    beside a source), removed at exit."""
    global _spill_folder
    if _spill_folder is None or not _spill_folder.is_dir():
        _spill_folder = Path(tempfile.mkdtemp(prefix="breaker-advisor-spill-"))
        atexit.register(shutil.rmtree, _spill_folder, True)
    return _spill_folder


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


def quote_identifier(name: str) -> str:
    """Quote ``name`` as a SQL identifier (a table, column or attached database name,
    which cannot be a prepared parameter); the only place identifiers are quoted."""
    return '"' + name.replace('"', '""') + '"'


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
    # A bounded buffer that spills to the temp directory instead of failing at once
    # (docs/design.md "Memory"); running out anyway is a one-line error (advisor.cli.common).
    con.execute(f"SET memory_limit = '{memory_limit() // 1024}KiB'")
    con.execute(f"SET temp_directory = {sql_literal(str(spill_dir()))}")
    # Every query that hands rows on orders them itself: keeping the scan order would
    # make DuckDB buffer (and forbid spilling) large intermediate results.
    con.execute("SET preserve_insertion_order = false")
    # Never draw a progress bar on stdout (it would break --format json); Jupyter without
    # ipywidgets refuses the change, and draws nothing there anyway.
    with contextlib.suppress(duckdb.Error):
        con.execute("SET enable_progress_bar = false")
    # Columns are read with SQLite's declared types (fast); a table whose values do not
    # match them is re-read as text by advisor.ingest.events (see sqlite_all_varchar there).
    con.execute("SET sqlite_all_varchar = false")
    return con
