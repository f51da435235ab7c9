"""``manifest.jsonl`` sources: attempt records, one JSON object per line (the fifth layout).

The file's lines are numbered and staged as a table of an in-memory database attached
under the source's alias, so the layout's events query (``queries/events/jsonl_attempts``)
reads them like any SQLite table: DuckDB's JSON functions parse each line, and a line
that is not JSON, not an object or not a usable attempt is a bad row named by its line
number. Nothing is written beside the file.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from advisor import queries
from advisor.errors import first_line
from advisor.ingest.database import quote_identifier
from advisor.ingest.layouts import JSONL_LAYOUT, JSONL_SUFFIXES, JSONL_TABLE
from advisor.model import Source


def is_jsonl(path: str | Path) -> bool:
    """A JSON-lines manifest by its name (``*.jsonl``, ``*.ndjson``)."""
    return Path(path).suffix.lower() in JSONL_SUFFIXES


def inspect_jsonl(path: Path) -> Source:
    """A JSONL source: readable when the file can be opened (its lines are read when
    attached); its one table is the attempt records."""
    source = Source(path=str(path))
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        source.error = f"cannot read file: {exc.strerror or exc}"
        return source
    source.tables[JSONL_TABLE] = JSONL_LAYOUT.name
    source.columns[JSONL_TABLE] = {col: "TEXT" for col in JSONL_LAYOUT.columns}
    return source


def _lines(path: Path) -> tuple[list[int], list[str | None], list[str | None]]:
    """Line numbers, texts (None where not UTF-8) and read problems of the non-blank lines."""
    numbers: list[int] = []
    texts: list[str | None] = []
    problems: list[str | None] = []
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            data = raw.rstrip(b"\r\n")
            if not data.strip():
                continue
            numbers.append(number)
            try:
                texts.append(data.decode("utf-8"))
                problems.append(None)
            except UnicodeDecodeError:
                texts.append(None)
                problems.append("line is not valid UTF-8")
    return numbers, texts, problems


def attach_jsonl(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Stage the file's lines as ``<alias>.attempts`` (an in-memory database attached
    under the alias); a file that cannot be read makes the source unreadable."""
    alias = quote_identifier(source.alias)
    try:
        numbers, texts, problems = _lines(Path(source.read_path))
    except OSError as exc:
        source.error = f"cannot read file: {exc.strerror or exc}"
        return
    try:
        con.execute(f"ATTACH ':memory:' AS {alias}")
        con.execute(
            f"CREATE TABLE {alias}.{quote_identifier(JSONL_TABLE)} AS "
            + queries.load("events/jsonl_lines"),
            {"lines": numbers, "texts": texts, "problems": problems},
        )
    except duckdb.Error as exc:
        source.error = f"cannot stage its lines: {first_line(exc)}"
