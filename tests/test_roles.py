"""``breaker-advise --by role`` (issue 17, item 5): a host's shared breaker's calls,
failures and refused calls per role, checked against an independent count over the
fixture rows, in the table, JSON (``hosts[].roles``), report data and the API."""

from __future__ import annotations

import json
import random

from advisor import api
from advisor.config import load_config
from tests.helpers import manifests as m
from tests.helpers.manifests import T0

ROLES = ("metadata", "landing", "artifact", None)


def _rows(seed: int = 11) -> list[tuple]:
    """shared.example: one breaker for every role. split.example: metadata has its own
    breaker (its state changes carry the role), so only its other roles share one."""
    rng = random.Random(seed)
    rows: list[tuple] = []
    for k in range(600):
        ts = T0 + k * 2.0
        host = "shared.example" if k % 3 else "split.example"
        role = rng.choice(ROLES)
        kind = rng.choices(["success", "failure", "rejected"], weights=[6, 2, 1])[0]
        details: dict = {"state": "closed", "run_id": "r1"}
        if role is not None:
            details["role"] = role
        if kind == "failure":
            details["status"] = 503
        rows.append((ts, host, kind, details))
    rows.append(
        (
            T0 + 1.0,
            "split.example",
            "state_change",
            {"old_state": "closed", "new_state": "open", "role": "metadata", "run_id": "r1"},
        )
    )
    rows.append(
        (
            T0 + 30.0,
            "split.example",
            "state_change",
            {"old_state": "open", "new_state": "closed", "role": "metadata", "run_id": "r1"},
        )
    )
    return rows  # fmt: skip


def _by_hand(rows: list[tuple]) -> dict[str, list[dict]]:
    counts: dict[str, dict] = {}
    for _, host, kind, details in rows:
        role = details.get("role")
        if kind == "state_change" or (host == "split.example" and role == "metadata"):
            continue  # a transition; or a call of metadata's own breaker
        entry = counts.setdefault(host, {}).setdefault(
            role, {"role": role, "calls": 0, "failures": 0, "refused": 0}
        )
        entry["calls"] += kind != "rejected"
        entry["failures"] += kind == "failure"
        entry["refused"] += kind == "rejected"
    order = {r: i for i, r in enumerate(sorted(r for r in ROLES if r) + [None])}
    return {h: sorted(v.values(), key=lambda e: order[e["role"]]) for h, v in counts.items()}


def _flags():
    return ("--until", str(T0 + 1300), "--window-s", "1400")


def test_by_role_in_json_matches_an_independent_count(tmp_path, run_advise):
    rows = _rows()
    path = m.breaker_events(tmp_path / "manifest.sqlite3", rows)
    code, out, err = run_advise("--format", "json", "--by", "role", *_flags(), path)
    assert code == 0, err
    report = json.loads(out)
    assert {h["host"]: h["roles"] for h in report["hosts"]} == _by_hand(rows)
    # the host's calls are the sum of its shared breaker's roles and its own breakers'
    shared = next(h for h in report["hosts"] if h["host"] == "shared.example")
    assert sum(r["calls"] for r in shared["roles"]) == shared["metrics"]["calls"]
    assert sum(r["refused"] for r in shared["roles"]) == shared["metrics"]["rejected"]


def test_without_by_role_no_roles_field(tmp_path, advise_json):
    path = m.breaker_events(tmp_path / "manifest.sqlite3", _rows())
    report = advise_json(path, until=str(T0 + 1300), window_s=1400)
    assert all("roles" not in h for h in report["hosts"])


def test_by_role_table_and_report_data(tmp_path, run_advise):
    rows = _rows()
    path = m.breaker_events(tmp_path / "manifest.sqlite3", rows)
    data = tmp_path / "report-data.json"
    code, out, err = run_advise("--by", "role", "--report-data", data, *_flags(), path)
    assert code == 0, err
    assert "by role" in out
    expected = _by_hand(rows)["shared.example"]
    landing = next(e for e in expected if e["role"] == "landing")
    line = next(x for x in out.splitlines() if "shared.example" in x and "landing" in x)
    assert line.split()[-3:] == [str(landing["calls"]), str(landing["failures"]),
                                 str(landing["refused"])]  # fmt: skip
    saved = json.loads(data.read_text())
    hosts = {h["host"]: h["roles"] for h in saved["contract"]["hosts"]}
    assert hosts == _by_hand(rows)


def test_by_other_values_is_a_usage_error(tmp_path, run_advise):
    path = m.breaker_events(tmp_path / "manifest.sqlite3", _rows())
    code, _, err = run_advise("--by", "resolver", *_flags(), path)
    assert code == 2 and "--by" in err


def test_api_roles_frame(tmp_path):
    rows = _rows()
    path = m.breaker_events(tmp_path / "manifest.sqlite3", rows)
    analysis = api.analyze(path, window_s=1400, until=T0 + 1300, config=load_config(env={}))
    frame = analysis.roles
    assert list(frame.columns) == ["host", "role", "calls", "failures", "refused"]
    got = {
        (r.host, r.role if isinstance(r.role, str) else None): (r.calls, r.failures, r.refused)
        for r in frame.itertuples()
    }
    want = {
        (h, e["role"]): (e["calls"], e["failures"], e["refused"])
        for h, entries in _by_hand(rows).items()
        for e in entries
    }
    assert got == want
