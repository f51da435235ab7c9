"""Start-up (issue 15): what `breaker-advise` imports before it needs it. Timing is left
to benchmarks/bench_advise.py (a loaded test machine makes wall time meaningless);
these tests check the imports that cost the time, in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.helpers import manifests as m
from tests.helpers.manifests import T0, call, change

HEAVY = ("duckdb", "numpy", "pandas", "scipy", "plotly", "jinja2", "pybreaker")

# Runs breaker-advise with the given arguments, then prints the top-level modules loaded.
PROBE = """
import json, sys
sys.argv = ["breaker-advise", *sys.argv[1:]]
from advisor.cli import advise_main
try:
    advise_main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
names = sorted({n.split(".")[0] for n in sys.modules})
sys.stdout.write("\\n" + json.dumps({"code": code, "modules": names}))
"""


def probe(*args: str | Path) -> tuple[int, set[str], str]:
    """Exit code, top-level modules loaded, and what the command printed before them."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *map(str, args)], capture_output=True, text=True, check=False
    )
    printed, _, last = done.stdout.rpartition("\n")
    result = json.loads(last)
    return result["code"], set(result["modules"]), printed


def test_help_imports_nothing_heavy():
    code, modules, printed = probe("--help")
    assert code == 0 and "--window-s" in printed
    assert modules.isdisjoint(HEAVY), sorted(modules & set(HEAVY))


def test_usage_error_imports_nothing_heavy(tmp_path):
    code, modules, _ = probe("--window-s", "x", tmp_path / "m.sqlite3")
    assert code == 2
    assert modules.isdisjoint(HEAVY), sorted(modules & set(HEAVY))


def test_json_and_table_output_import_no_report_or_notebook_modules(tmp_path):
    rows = [change(T0, "a.example", "closed", "open")] + [
        call(T0 + i, "a.example", "failure") for i in range(1, 6)
    ]
    manifest = m.breaker_events(tmp_path / "m.sqlite3", rows)
    for fmt in ("json", "table"):
        code, modules, printed = probe("--until", "latest", "--format", fmt, manifest)
        assert code == 0 and "a.example" in printed
        # pandas is not listed: DuckDB's Python client imports it to bind a parameter
        assert modules.isdisjoint({"plotly", "jinja2", "scipy"}), fmt
