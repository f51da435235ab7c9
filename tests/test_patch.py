"""--format yaml and --write-config: the advice as breakers.yaml."""

from __future__ import annotations

import yaml

from tests.helpers import manifests as m
from tests.helpers.manifests import T0
from tests.helpers.slow_host import HOURS, slow_host

USER_YAML = """\
# our breakers, tuned by hand in 2025
defaults:
  fail_max: 5
  reset_timeout_s: 60   # the guide's default
  retry_after_cap_s: 900

hosts:
  Slow.Example:
    fail_max: 3
    reset_timeout_s: 10   # set during the incident
  api.crossref.org:
    fail_max: 6
"""


def _manifest(tmp_path):
    return m.breaker_events(tmp_path / "manifest.sqlite3", slow_host(10).rows)


def _args(tmp_path, *extra):
    return ["--until", str(T0 + 6 * HOURS), "--window-s", str(6 * HOURS), *extra]


def _changes(advise_json, path, *flags):
    report = advise_json(*flags, path, until=str(T0 + 6 * HOURS), window_s=6 * HOURS)
    host = next(h for h in report["hosts"] if h["host"] == "slow.example")
    return {r["parameter"]: r for r in host["recommendations"] if r["suggested"] != r["current"]}


def test_yaml_fragment_has_the_change_and_its_reason(tmp_path, run_advise, advise_json):
    """The YAML fragment holds exactly the changes the JSON contract recommends, each
    with its rule, confidence and today's value as a comment."""
    path = _manifest(tmp_path)
    flags = ("--breaker", "slow.example=fail_max:3,reset:10")
    changes = _changes(advise_json, path, *flags)
    assert "reset_timeout_s" in changes  # probing a 2-6 min outage every 10 s
    code, out, err = run_advise(*_args(tmp_path, "--format", "yaml", *flags), path)
    assert code == 0, err
    assert yaml.safe_load(out) == {
        "hosts": {"slow.example": {k: r["suggested"] for k, r in changes.items()}}
    }
    rec = changes["reset_timeout_s"]
    assert f"# {rec['rule']} ({rec['confidence']}), was 10: " in out


def test_write_config_keeps_comments_and_order(tmp_path, run_advise, advise_json):
    config = tmp_path / "breakers.yaml"
    config.write_text(USER_YAML)
    out = tmp_path / "tuned" / "breakers.yaml"
    changes = _changes(advise_json, _manifest(tmp_path), "--config", config)
    code, _, err = run_advise(
        *_args(tmp_path, "--config", config, "--write-config", out), _manifest(tmp_path)
    )
    assert code == 0, err
    text = out.read_text()
    assert text.startswith("# our breakers, tuned by hand in 2025\n")
    assert "reset_timeout_s: 60   # the guide's default" in text
    expected = {"fail_max": 3, "reset_timeout_s": 10} | {
        k: r["suggested"] for k, r in changes.items()
    }
    assert changes and yaml.safe_load(text)["hosts"]["Slow.Example"] == expected
    assert list(yaml.safe_load(text)["hosts"]) == ["Slow.Example", "api.crossref.org"]
    assert config.read_text() == USER_YAML  # the input is untouched


def test_write_config_refuses_to_overwrite_the_input(tmp_path, run_advise):
    config = tmp_path / "breakers.yaml"
    config.write_text(USER_YAML)
    code, _, err = run_advise(
        *_args(tmp_path, "--config", config, "--write-config", config), _manifest(tmp_path)
    )
    assert code == 2
    assert "refusing to overwrite the input configuration" in err
    assert config.read_text() == USER_YAML


def test_malformed_override_is_a_usage_error_not_a_traceback(tmp_path, run_advise):
    code, out, err = run_advise(
        *_args(tmp_path, "--breaker", "slow.example=fail_max:lots"), _manifest(tmp_path)
    )
    assert code == 2
    assert "Error: --breaker: hosts.slow.example.fail_max: expected a positive integer" in err
    assert "Traceback" not in err + out


def test_malformed_rules_file_names_file_and_key(tmp_path, run_advise):
    rules = tmp_path / "rules.yaml"
    rules.write_text("flapping:\n  reopen_within: 3\n")
    code, _, err = run_advise(*_args(tmp_path, "--rules", rules), _manifest(tmp_path))
    assert code == 2
    assert f"{rules}: flapping.reopen_within: unknown key" in err


def test_lost_weight_changes_the_advice(tmp_path, advise_json):
    path = _manifest(tmp_path)
    cheap = advise_json("--breaker-defaults", "fail_max:3,reset:10", "--lost-weight", "0.01",
                        path, until=str(T0 + 6 * HOURS), window_s=6 * HOURS)  # fmt: skip
    dear = advise_json("--breaker-defaults", "fail_max:3,reset:10", "--lost-weight", "5",
                       path, until=str(T0 + 6 * HOURS), window_s=6 * HOURS)  # fmt: skip

    def suggested(report):
        recs = report["hosts"][0]["recommendations"]
        return next((r["suggested"] for r in recs if r["parameter"] == "reset_timeout_s"), 10)

    # refusing healthy calls is cheap -> probe far less often; dear -> stay near 10 s
    assert suggested(cheap) > 100
    assert suggested(dear) < 50


def _write(tmp_path, text):
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    return path
