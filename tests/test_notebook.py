"""The exploration notebook runs top to bottom and its committed outputs are current;
the API equals the CLI; rich display escapes and shows no Python ``None``."""

from __future__ import annotations

import base64
import json
import os
import struct
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient

import advisor
from advisor.outputs.frames import recommendations_frame, what_if_frame
from advisor.text import html_table
from tests.helpers import manifests as m
from tests.helpers.manifests import T0, call, change
from tests.helpers.slow_host import HOURS, slow_host

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "explore.ipynb"
HOSTILE = "<script>alert(1)</script>"
EPOCH = "1768456800"  # 2026-01-15T06:00:00Z, the simulated night's end (SOURCE_DATE_EPOCH)


def execute(folder: Path) -> nbformat.NotebookNode:
    """The notebook with its outputs cleared, executed with ``folder`` as its working
    directory (its data is simulated there), as a reader runs it."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    folder.mkdir(parents=True, exist_ok=True)
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH  # the kernel inherits it
    try:
        NotebookClient(
            nb, timeout=600, kernel_name="python3", record_timing=False,
            resources={"metadata": {"path": str(folder)}},
        ).execute()  # fmt: skip
    finally:
        if saved is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved
    return nb


def _cell(nb: nbformat.NotebookNode, snippet: str) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if c.cell_type == "code" and snippet in c.source)


def _png_size(output: dict) -> tuple[int, int]:
    data = base64.b64decode(output["data"]["image/png"])
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])  # the IHDR chunk: width, height


def _texts(nb: nbformat.NotebookNode) -> list[list[tuple[str, str]]]:
    """Per code cell, each output's kind and text (images by their size)."""
    out = []
    for cell in (c for c in nb.cells if c.cell_type == "code"):
        items = []
        for o in cell.outputs:
            if o.output_type == "stream":
                items.append((o.name, o.text))
            elif "image/png" in o.get("data", {}):
                items.append(("image/png", str(_png_size(o))))
            else:
                items.append((o.output_type, o.get("data", {}).get("text/plain", "")))
        out.append(items)
    return out


@pytest.mark.slow
def test_notebook_runs_top_to_bottom_and_its_outputs_are_committed(tmp_path):
    nb = execute(tmp_path / "notebooks")
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    streams = [o.text for o in outputs if o.output_type == "stream"]
    assert not [o for o in outputs if o.output_type == "stream" and o.name == "stderr"]
    assert not [t for t in streams if "Warning" in t], "a warning was printed"

    summary = _cell(nb, "a = advisor.analyze(").outputs[0]["data"]["text/html"]
    assert "breaker-advisor" in summary and "None" not in summary

    # the host with the most open time, and its episodes (the simulated night has some)
    worst = _cell(nb, "a.open_time_order()[0]").outputs[0].text
    assert worst.startswith("eutils.ncbi.nlm.nih.gov: 3 opens")
    episodes = _cell(nb, "a.episodes[").outputs[0]["data"]["text/html"]
    assert episodes.count("eutils.ncbi.nlm.nih.gov") == 3

    recs = _cell(nb, "a.recommendations[").outputs[0]["data"]["text/plain"]
    assert "fail_max       5         3" in recs and "3.0" not in recs  # ints stay ints
    assert "retry_after_cap_s      30       264" in recs

    # every figure is a PNG too (GitHub shows no Plotly JSON), 900 px wide, not squashed
    for snippet, min_height in (("a.timeline(", 400), ("a.fleet_heatmap()", 300)):
        (figure,) = [o for o in _cell(nb, snippet).outputs if o.output_type == "display_data"]
        assert "application/vnd.plotly.v1+json" in figure["data"]
        width, height = _png_size(figure)
        assert width == 900 and height >= min_height, (snippet, width, height)

    assert "candidate" in _cell(nb, "advisor.what_if(").outputs[0]["data"]["text/html"]
    written = tmp_path / "notebooks" / "data" / "breakers.suggested.yaml"
    assert "reset_timeout_s: 13" in written.read_text(encoding="utf-8")
    assert "DOUBLE" in _cell(nb, "DESCRIBE events").outputs[0]["data"]["text/plain"]

    committed = nbformat.read(NOTEBOOK, as_version=4)
    assert _texts(committed) == _texts(nb), "refresh: python -m tests.test_notebook"
    assert committed.metadata == nb.metadata


def test_recommendations_keep_each_parameters_type():
    hosts = [
        {"host": "a.org", "recommendations": [
            {"parameter": "rate_limit", "current": None, "suggested": "1.27/s",
             "confidence": "high", "rule": "rate-limited", "reasons": ["r"], "evidence": {}},
            {"parameter": "fail_max", "current": 3, "suggested": 6, "confidence": "low",
             "rule": "late-detection", "reasons": [], "evidence": {}},
        ]},
    ]  # fmt: skip
    frame = recommendations_frame(hosts)
    assert frame.current.iloc[0] is pd.NA and frame.current.iloc[1] == 3
    assert type(frame.current.iloc[1]) is int and type(frame.suggested.iloc[1]) is int
    assert list(frame.suggested) == ["1.27/s", 6]
    assert list(frame.reason) == ["r", ""]


def test_what_if_frame_puts_the_settings_first():
    replay = {"fail_max": 5, "reset_timeout_s": 600, "wasted": 15, "lost": 4666, "resume_s": None}
    doc = {
        "host": "h.org",
        "recorded": {"wasted": 47, "lost": 4666},
        "current": replay,
        "candidate": {**replay, "reset_timeout_s": 13, "lost": 89},
    }
    frame = what_if_frame(doc)
    assert list(frame.index) == ["fail_max", "reset_timeout_s", "wasted", "lost", "resume_s"]
    assert list(frame.columns) == ["recorded", "current (replayed)", "candidate"]
    assert frame.loc["lost"].tolist() == [4666, 4666, 89]
    assert frame.loc["fail_max", "recorded"] is pd.NA
    assert frame.loc["resume_s", "candidate"] is pd.NA


def test_html_tables_show_a_dash_for_nothing():
    html = html_table("c", ["current", "suggested"], [[None, "1.27/s"], [0, 6]])
    assert "None" not in html and "<td>—</td>" in html and "<td>0</td>" in html


def test_open_time_order_puts_the_longest_open_first(tmp_path):
    rows = [
        change(T0 + 1, "short.org", "closed", "open"),
        change(T0 + 11, "short.org", "open", "closed"),
        change(T0 + 1, "long.org", "closed", "open"),
        change(T0 + 101, "long.org", "open", "closed"),
        call(T0 + 200, "never.org", "success"),
    ]
    a = advisor.analyze(m.breaker_events(tmp_path / "m.db", rows), until=T0 + 300, window_s=300)
    assert [h.host for h in a.open_time_order()] == ["long.org", "short.org", "never.org"]
    assert repr(a).endswith(": 1 source, 3 hosts, 0 suggested changes>")


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


if __name__ == "__main__":  # refresh the committed outputs, after a change meant to move them
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        executed = execute(Path(folder) / "notebooks")
    nbformat.write(executed, NOTEBOOK)
    print(f"wrote {NOTEBOOK}")
