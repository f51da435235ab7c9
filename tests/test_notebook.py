"""The exploration notebook runs top to bottom; the API equals the CLI; rich display escapes."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import advisor
from tests.helpers import manifests as m
from tests.helpers.manifests import T0, call, change
from tests.helpers.slow_host import HOURS, slow_host

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = "<script>alert(1)</script>"


@pytest.mark.slow
def test_notebook_runs_top_to_bottom(tmp_path):
    nb = nbformat.read(ROOT / "notebooks" / "explore.ipynb", as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "clear outputs"
    (tmp_path / "notebooks").mkdir()
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path / "notebooks")}},
    )  # fmt: skip
    client.execute()
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    html = [o for o in nb.cells[3].outputs if "text/html" in o.get("data", {})]
    assert html and "breaker-advisor" in html[0]["data"]["text/html"]


def test_api_frames_equal_the_cli_json(tmp_path, advise_json):
    path = m.breaker_events(tmp_path / "manifest.sqlite3", slow_host(10).rows)
    args = ("--breaker-defaults", "fail_max:3,reset:10", str(path))
    report = advise_json(*args, until=str(T0 + 6 * HOURS), window_s=6 * HOURS)
    from advisor.config import load_config

    a = advisor.analyze(
        path, window_s=6 * HOURS, until=T0 + 6 * HOURS,
        config=load_config(None, env={}, defaults_override="fail_max:3,reset:10"),
    )  # fmt: skip
    frame = a.metrics
    for host in report["hosts"]:
        row = frame.loc[host["host"]]
        for key, value in host["metrics"].items():
            if isinstance(value, dict):
                for sub, v in value.items():
                    assert _same(row[f"{key}_{sub}"], v), (key, sub)
            else:
                assert _same(row[key], value), key
    recs = a.recommendations
    expected = [(h["host"], r["parameter"], r["suggested"]) for h in report["hosts"]
                for r in h["recommendations"]]  # fmt: skip
    assert list(zip(recs.host, recs.parameter, recs.suggested, strict=True)) == expected
    assert json.loads(a.to_json())["hosts"] == report["hosts"]
    assert str(a.events.ts.dtype) == "datetime64[us, UTC]"
    assert str(a.episodes.started_at.dtype) == "datetime64[us, UTC]"
    assert str(frame["calls"].dtype) == "Int64"


def _same(got, want) -> bool:
    import pandas as pd

    if want is None:
        return pd.isna(got)
    return got == pytest.approx(want)


def test_rich_display_escapes_a_hostile_host(tmp_path):
    rows = [change(T0 + 1, HOSTILE, "closed", "open"), call(T0 + 2, HOSTILE, "rejected", "open")]
    a = advisor.analyze(m.breaker_events(tmp_path / "m.db", rows), until="latest")
    for html in (a._repr_html_(), a.hosts[0]._repr_html_()):
        assert HOSTILE not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_sql_on_the_normalised_relations(tmp_path):
    a = advisor.analyze(m.breaker_events(tmp_path / "m.db", slow_host(10).rows), until="latest")
    got = a.sql("SELECT count(*) AS n FROM events WHERE kind = ?", ["transition"]).n[0]
    assert got == sum(1 for r in slow_host(10).rows if r[2] == "state_change")
