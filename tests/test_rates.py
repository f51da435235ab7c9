"""Rate limits in the deployment guide's syntax (issue 17, item 4): the grammar, rate
advice as a ``--rate HOST=SPEC`` (JSON ``rate_spec``, the table, the YAML patch), and
the guide's legacy ``resolver_throttles:`` block read as today's rate with a warning."""

from __future__ import annotations

import re

import pytest
import yaml

from advisor.config import load_config
from advisor.errors import ConfigError
from advisor.rates import format_rate_spec, parse_rate_spec
from tests.helpers import manifests as m
from tests.helpers.manifests import T0
from tests.helpers.throttled import throttled_host

LEGACY = """\
# Old per-host throttle settings (DEPRECATED)
resolver_throttles:
  api.crossref.org: 10/s
  Export.Arxiv.org: 1/3s
"""


@pytest.mark.parametrize(
    ("spec", "per_s"),
    [("10/s", 10.0), ("1/3s", 1 / 3), ("10/s,1000/h", 1000 / 3600), ("1/3s,100/h", 100 / 3600),
     ("30/min", 0.5), ("2/d", 2 / 86400), (" 5 / 2s ", 2.5)],
)  # fmt: skip
def test_parse_rate_spec(spec: str, per_s: float) -> None:
    assert parse_rate_spec(spec, "x") == pytest.approx(per_s)


@pytest.mark.parametrize("spec", ["", "10", "10/", "10/w", "-1/s", "0/s", "1/0s", "fast", "1/s,"])
def test_bad_rate_spec_names_where_and_the_form(spec: str) -> None:
    with pytest.raises(ConfigError, match=r"^here: .*(COUNT/\[N\]UNIT|above 0)"):
        parse_rate_spec(spec, "here")


@pytest.mark.parametrize(
    ("per_s", "spec"),
    [(10.4, "10/s"), (1 / 3, "1/3s"), (0.333, "1/3s"), (0.5, "1/2s"), (2.5, "5/2s"),
     (100.0, "100/s"), (0.01, "1/100s"), (0.0021, "1/476s"), (0.001, "1/1000s"),
     (0.0002, "17/d"), (1e-6, "1/d")],
)  # fmt: skip
def test_format_rate_spec(per_s: float, spec: str) -> None:
    assert format_rate_spec(per_s) == spec


@pytest.mark.parametrize("per_s", [0.0021, 0.017, 0.2, 0.77, 1.3, 3.14159, 47.5, 999.0])
def test_format_rate_spec_is_close_below(per_s: float) -> None:
    """Within 5 % below the rate (never above it beyond 3-digit rounding), read back."""
    written = parse_rate_spec(format_rate_spec(per_s), "x")
    assert 0.95 * per_s <= written <= per_s * 1.005


# --- rate advice ---------------------------------------------------------------------


def _throttled(tmp_path):
    """A host called ~3/s for 100 minutes whose storms answer 429."""
    res = throttled_host("api.crossref.org")
    return m.breaker_events(tmp_path / "manifest.sqlite3", res.rows), res.rows


def _flags() -> tuple[str, ...]:
    return ("--breaker-defaults", "fail_max:12,reset:60", "--until", str(T0 + 6000))


def test_rate_advice_as_a_rate_spec(tmp_path, run_advise, advise_json) -> None:
    path, rows = _throttled(tmp_path)
    report = advise_json(*_flags()[:2], path, until=str(T0 + 6000), window_s=6000)
    rec = next(r for r in report["hosts"][0]["recommendations"] if r["parameter"] == "rate_limit")
    # by hand: 0.8 (the rules' headroom) x calls the host did not 429, per active second
    attempts = sum(1 for r in rows if r[2] in ("success", "failure", "rejected"))
    throttled = sum(1 for r in rows if r[2] == "failure" and r[3].get("status") == 429)
    span = max(r[0] for r in rows) - min(r[0] for r in rows)
    by_hand = 0.8 * (attempts - throttled) / span
    assert re.fullmatch(r"\d+/(\d+s|s|h|d)", rec["rate_spec"])
    assert 0.94 * by_hand <= parse_rate_spec(rec["rate_spec"], "x") <= 1.01 * by_hand
    assert rec["suggested"].endswith("/s")  # the contract's value keeps its format

    code, out, err = run_advise(*_flags(), "--window-s", "6000", path)
    assert code == 0, err
    assert f"--rate api.crossref.org={rec['rate_spec']}" in out.replace("\n", "")

    code, out, err = run_advise(*_flags(), "--window-s", "6000", "--format", "yaml", path)
    assert code == 0, err
    assert f"# --rate api.crossref.org={rec['rate_spec']}\n" in out


def test_other_recommendations_have_no_rate_spec(tmp_path, advise_json) -> None:
    path, _ = _throttled(tmp_path)
    report = advise_json(*_flags()[:2], path, until=str(T0 + 6000), window_s=6000)
    recs = [r for h in report["hosts"] for r in h["recommendations"]]
    assert all(("rate_spec" in r) == (r["parameter"] == "rate_limit") for r in recs)


# --- the legacy resolver_throttles block ---------------------------------------------


def test_resolver_throttles_read_with_a_deprecation_warning(tmp_path) -> None:
    path = tmp_path / "breakers.yaml"
    path.write_text(LEGACY)
    config = load_config(path, env={})
    assert config.rate_limits == {"api.crossref.org": "10/s", "export.arxiv.org": "1/3s"}
    assert config.rate_limit("API.crossref.org") == "10/s"
    assert config.rate_limit("export.arxiv.org") == "0.333/s"
    assert config.rate_limit("other.org") is None
    (warning,) = config.warnings
    assert "resolver_throttles is deprecated" in warning
    assert "--rate api.crossref.org=10/s" in warning
    assert "--rate export.arxiv.org=1/3s" in warning


def test_resolver_throttles_bad_value_names_the_key(tmp_path) -> None:
    path = tmp_path / "breakers.yaml"
    path.write_text("resolver_throttles:\n  api.crossref.org: quickly\n")
    with pytest.raises(ConfigError, match=r"resolver_throttles\.api\.crossref\.org: 'quickly'"):
        load_config(path, env={})


def test_resolver_throttles_in_the_analysis(tmp_path, run_advise, advise_json) -> None:
    """The warning is in the output (exit 0), and the throttle is the host's current rate."""
    path, _ = _throttled(tmp_path)
    config = tmp_path / "breakers.yaml"
    config.write_text(LEGACY)
    flags = ("--config", config, *_flags()[:2])
    report = advise_json(*flags, path, until=str(T0 + 6000), window_s=6000)
    assert any("resolver_throttles is deprecated" in w for w in report["warnings"])
    host = report["hosts"][0]
    assert host["current"]["rate_limit"] == "10/s"
    assert host["current_origin"]["rate_limit"] == "yaml"
    rec = next(r for r in host["recommendations"] if r["parameter"] == "rate_limit")
    assert rec["current"] == "10/s"
    code, out, err = run_advise("--config", config, *_flags(), "--window-s", "6000", path)
    assert code == 0
    assert "resolver_throttles is deprecated" in err
    assert "--rate export.arxiv.org=1/3s" in err


def test_without_throttles_current_has_no_rate_limit(tmp_path, advise_json) -> None:
    path, _ = _throttled(tmp_path)
    report = advise_json(*_flags()[:2], path, until=str(T0 + 6000), window_s=6000)
    assert "rate_limit" not in report["hosts"][0]["current"]
    assert yaml.safe_load(LEGACY)  # the fixture is the guide's block, valid YAML
