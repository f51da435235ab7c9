"""Every breaker-related option, config key and environment variable of the deployment
guide (/work/shared/seed/000_a7bad5e5870acd3a.txt), walked one by one: each either
changes a result or is refused with a message; none is accepted and ignored (issue 17,
"done means"). The guide's downloader options (--topic, --year-start, --max, --workers,
--out, --dry-run, -vvv) are not ours. ``GUIDE`` lists what the guide names; a test
checks each name has its case here.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor.cli.app import app
from tests.helpers import manifests as m
from tests.helpers.manifests import T0
from tests.helpers.slow_host import HOURS, slow_host

HOST = "slow.example"
UNTIL = str(T0 + 6 * HOURS)
GUIDE = (
    # breakers.yaml (Migration Guide, Configuration Review checklist)
    "defaults.fail_max", "defaults.reset_timeout_s", "defaults.retry_after_cap_s",
    "hosts.HOST.fail_max", "hosts.HOST.reset_timeout_s", "success_threshold",
    "advanced.rolling", "resolver_throttles",
    # environment (Environment Variables, Step 3, Disable, Debug Mode)
    "DOCSTOKG_BREAKERS_YAML", "DOCSTOKG_BREAKER_HOSTS", "DOCSTOKG_BREAKER_ROLES",
    "DOCSTOKG_BREAKER_COOLDOWN_STORE", "DOCSTOKG_BREAKER_DISABLED", "DOCSTOKG_BREAKER_DEBUG",
    # CLI arguments and commands
    "--breaker", "--breaker-role", "--breaker-resolver", "--breaker-defaults",
    "--breaker-config", "--rate", "breaker show", "breaker show --host", "breaker open",
    "breaker close", "breaker-advise --window-s", "manifest.jsonl",
)  # fmt: skip
CASES: dict[str, object] = {}


def case(name: str):
    def register(fn):
        CASES[name] = fn
        return fn

    return register


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    """A slow host (every call role ``metadata``), and the resolver breaker ``crossref``."""
    folder = tmp_path_factory.mktemp("guide")
    rows = [
        (t, h, kind, d if kind == "state_change" else {**d, "role": "metadata"})
        for t, h, kind, d in slow_host(10).rows
    ]
    rows += [
        (T0 + 60 + k, "crossref", "success" if k % 4 else "failure",
         {"state": "closed", "scope": "resolver"})
        for k in range(200)
    ]  # fmt: skip
    return m.breaker_events(folder / "manifest.sqlite3", rows)


def advise(*args: object, env: dict[str, str] | None = None, code: int = 0) -> dict:
    result = CliRunner().invoke(
        app,
        ["advise", "--format", "json", "--until", UNTIL, "--window-s", str(6 * HOURS),
         *[str(a) for a in args]],
        env={"DOCSTOKG_BREAKERS_YAML": "", **(env or {})},
    )  # fmt: skip
    assert result.exit_code == code, (result.stdout, result.stderr)
    return json.loads(result.stdout)


def run(*args: object, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, [str(a) for a in args], env=env)


def host(report: dict, name: str = HOST) -> dict:
    return next(h for h in report["hosts"] if h["host"] == name)


def yaml_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "breakers.yaml"
    path.write_text(text)
    return path


def test_every_guide_item_has_a_case():
    assert set(GUIDE) == set(CASES)
    text = Path("/work/shared/seed/000_a7bad5e5870acd3a.txt")
    if text.exists():  # the guide itself names each (a key by its last part)
        guide = text.read_text()
        for name in GUIDE:
            for word in name.split():
                assert word.split(".")[-1] in guide, name


@pytest.mark.parametrize("name", GUIDE)
def test_guide_item(name, runs, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    CASES[name](runs, tmp_path)


# --- breakers.yaml ---------------------------------------------------------------------


@case("defaults.fail_max")
def _(runs, tmp_path):
    config = yaml_file(tmp_path, "defaults:\n  fail_max: 7\n")
    assert host(advise("--config", config, runs))["current"]["fail_max"] == 7


@case("defaults.reset_timeout_s")
def _(runs, tmp_path):
    config = yaml_file(tmp_path, "defaults:\n  reset_timeout_s: 45\n")
    assert host(advise("--config", config, runs))["current"]["reset_timeout_s"] == 45


@case("defaults.retry_after_cap_s")
def _(runs, tmp_path):
    config = yaml_file(tmp_path, "defaults:\n  retry_after_cap_s: 300\n")
    assert host(advise("--config", config, runs))["current"]["retry_after_cap_s"] == 300


@case("hosts.HOST.fail_max")
def _(runs, tmp_path):
    config = yaml_file(tmp_path, f"hosts:\n  {HOST}:\n    fail_max: 6\n")
    entry = host(advise("--config", config, runs))
    assert (entry["current"]["fail_max"], entry["current_origin"]["fail_max"]) == (6, "yaml")


@case("hosts.HOST.reset_timeout_s")
def _(runs, tmp_path):
    config = yaml_file(tmp_path, f"hosts:\n  {HOST}:\n    reset_timeout_s: 90\n")
    assert host(advise("--config", config, runs))["current"]["reset_timeout_s"] == 90


@case("success_threshold")
def _(runs, tmp_path):
    config = yaml_file(tmp_path, f"hosts:\n  {HOST}:\n    success_threshold: 2\n")
    assert host(advise("--config", config, runs))["current"]["success_threshold"] == 2


@case("advanced.rolling")
def _(runs, tmp_path):
    bad = yaml_file(tmp_path, "advanced:\n  rolling:\n    enabled: true\n    window_s: -5\n")
    refused = run("advise", "--config", bad, "--until", UNTIL, runs)
    assert refused.exit_code == 2 and "advanced.rolling.window_s" in refused.stderr
    config = yaml_file(
        tmp_path,
        "advanced:\n  rolling:\n    enabled: true\n    window_s: 60\n"
        "    threshold_failures: 3\n    cooldown_s: 30\n",
    )
    assert advise("--config", config, runs)["hosts"] != advise(runs)["hosts"]


@case("resolver_throttles")
def _(runs, tmp_path):
    config = yaml_file(tmp_path, f"resolver_throttles:\n  {HOST}: 1/3s\n")
    report = advise("--config", config, runs)
    assert host(report)["current"]["rate_limit"] == "0.333/s"
    assert any("resolver_throttles is deprecated" in w for w in report["warnings"])


# --- environment -------------------------------------------------------------------


@case("DOCSTOKG_BREAKERS_YAML")
def _(runs, tmp_path):
    config = yaml_file(tmp_path, f"hosts:\n  {HOST}:\n    fail_max: 9\n")
    report = advise(runs, env={"DOCSTOKG_BREAKERS_YAML": str(config)})
    assert host(report)["current"]["fail_max"] == 9


@case("DOCSTOKG_BREAKER_HOSTS")
def _(runs, tmp_path):
    report = advise(runs, env={"DOCSTOKG_BREAKER_HOSTS": f"{HOST}=fail_max:3,reset:45"})
    entry = host(report)
    assert (entry["current"]["fail_max"], entry["current"]["reset_timeout_s"]) == (3, 45)
    assert entry["current_origin"]["fail_max"] == "env"


@case("DOCSTOKG_BREAKER_ROLES")
def _(runs, tmp_path):
    env = {"DOCSTOKG_BREAKER_ROLES": f"{HOST}:metadata=fail_max:2,success_threshold:2"}
    entry = host(advise(runs, env=env))
    role = next(b for b in entry["breakers"] if b["role"] == "metadata")
    assert (role["current"]["fail_max"], role["current"]["success_threshold"]) == (2, 2)
    assert "breakers" not in host(advise(runs))


@case("DOCSTOKG_BREAKER_COOLDOWN_STORE")
def _(runs, tmp_path):
    env = {"DOCSTOKG_BREAKER_COOLDOWN_STORE": f"sqlite:///{tmp_path}/cooldowns.db"}
    opened = run("breaker", "open", HOST, "--seconds", "300", "--reason", "maintenance", env=env)
    assert opened.exit_code == 0, opened.stderr
    shown = run("breaker", "show", "--manifest", runs, "--format", "json", env=env)
    assert "maintenance" in shown.stdout
    elsewhere = {"DOCSTOKG_BREAKER_COOLDOWN_STORE": f"sqlite:///{tmp_path}/other.db"}
    assert "maintenance" not in run("breaker", "show", "--manifest", runs, env=elsewhere).stdout


@case("DOCSTOKG_BREAKER_DISABLED")
def _(runs, tmp_path):
    report = advise(runs, env={"DOCSTOKG_BREAKER_DISABLED": "1"})
    assert any("DOCSTOKG_BREAKER_DISABLED" in w for w in report["warnings"])
    assert all(r["suggested"] == r["current"] for h in report["hosts"]
               for r in h["recommendations"])  # fmt: skip
    refused = run("advise", "--until", UNTIL, runs, env={"DOCSTOKG_BREAKER_DISABLED": "maybe"})
    assert refused.exit_code == 2 and "DOCSTOKG_BREAKER_DISABLED" in refused.stderr


@case("DOCSTOKG_BREAKER_DEBUG")
def _(runs, tmp_path):
    """The producer kit logs every breaker decision at DEBUG when it is set (the CLI's
    -vv does the same; tests/test_telemetry_debug.py has the details), and so does the
    analysis: breaker-advise -vv, or the variable, logs what it read and decided."""
    from advisor.config import load_config
    from advisor.telemetry import BreakerRegistry, ManifestWriter

    logger = logging.getLogger("advisor.telemetry")
    records: list[logging.LogRecord] = []
    catcher = logging.Handler()
    catcher.emit = records.append  # type: ignore[method-assign]
    level, handlers = logger.level, list(logger.handlers)
    logger.addHandler(catcher)
    try:
        seen = []
        for value in ("0", "1"):
            os.environ["DOCSTOKG_BREAKER_DEBUG"] = value
            records.clear()
            with ManifestWriter(tmp_path / f"debug{value}.sqlite3") as writer:
                BreakerRegistry(load_config(env={}), writer).call(HOST, lambda: "page")
            seen.append([r for r in records if r.levelno == logging.DEBUG])
        assert not seen[0] and seen[1]
    finally:
        os.environ.pop("DOCSTOKG_BREAKER_DEBUG", None)
        logger.setLevel(level)
        logger.handlers[:] = handlers
    window = ("--until", UNTIL, "--window-s", str(6 * HOURS), runs)
    plain = run("advise", *window, env={"DOCSTOKG_BREAKER_DEBUG": "0"})
    assert plain.exit_code == 0 and "DEBUG" not in plain.stderr
    assert "DEBUG" not in run("advise", "-v", *window).stderr  # -v: the traceback only
    for flags, env in ((("-vv",), {}), ((), {"DOCSTOKG_BREAKER_DEBUG": "1"})):
        loud = run("advise", *flags, *window, env=env)
        assert loud.exit_code == 0, loud.stderr
        assert loud.stdout == plain.stdout  # the output itself is the same
        debug = [line for line in loud.stderr.splitlines() if " DEBUG " in line]
        assert any(f"{runs}: reading breaker_events as breaker_events" in line for line in debug)
        assert any(line.startswith("advisor.pipeline DEBUG crossref (scope resolver): 200 calls")
                   for line in debug)  # fmt: skip
        assert any(f"{HOST} (scope host):" in line for line in debug)
    assert "DEBUG" not in run("advise", *window).stderr  # nothing left switched on


# --- CLI arguments and commands ------------------------------------------------------


@case("--breaker")
def _(runs, tmp_path):
    entry = host(advise("--breaker", f"{HOST}=fail_max:4,reset:90", runs))
    assert (entry["current"]["fail_max"], entry["current"]["reset_timeout_s"]) == (4, 90)
    assert entry["current_origin"]["fail_max"] == "cli"


@case("--breaker-role")
def _(runs, tmp_path):
    entry = host(advise("--breaker-role", f"{HOST}:metadata=success_threshold:2", runs))
    role = next(b for b in entry["breakers"] if b["role"] == "metadata")
    assert role["current"]["success_threshold"] == 2


@case("--breaker-resolver")
def _(runs, tmp_path):
    before = host(advise(runs), "crossref")["current"]["fail_max"]
    after = host(advise("--breaker-resolver", "crossref=fail_max:3", runs), "crossref")
    assert before != 3 and after["current"]["fail_max"] == 3
    assert after["current_origin"]["fail_max"] == "cli"


@case("--breaker-defaults")
def _(runs, tmp_path):
    report = advise("--breaker-defaults", "fail_max:5,reset:60,retry_after_cap:900", runs)
    current = host(report, "crossref")["current"]
    assert (current["fail_max"], current["reset_timeout_s"], current["retry_after_cap_s"]) == (
        5, 60, 900,
    )  # fmt: skip
    report = advise("--breaker-defaults", "fail_max:11", runs)
    assert host(report, "crossref")["current"]["fail_max"] == 11


@case("--breaker-config")
def _(runs, tmp_path):
    config = yaml_file(tmp_path, f"hosts:\n  {HOST}:\n    fail_max: 8\n")
    assert host(advise("--breaker-config", config, runs))["current"]["fail_max"] == 8


@case("--rate")
def _(runs, tmp_path):
    # the downloader's rate limiter flag: the advisor prints advice in its syntax
    # (tests/test_rates.py) and refuses it as an option of its own
    refused = run("advise", "--rate", f"{HOST}=10/s", "--until", UNTIL, runs)
    assert refused.exit_code == 2 and "--rate" in refused.stderr


@case("breaker show")
def _(runs, tmp_path):
    # no flags: the guide's default manifest runs/content/manifest.sqlite3 (cwd: tmp_path)
    (tmp_path / "runs" / "content").mkdir(parents=True)
    os.link(runs, tmp_path / "runs" / "content" / "manifest.sqlite3")
    shown = run("breaker", "show", "--format", "json", env={"DOCSTOKG_BREAKERS_YAML": ""})
    assert shown.exit_code == 0, shown.stderr
    assert HOST in shown.stdout and "crossref" in shown.stdout


@case("breaker show --host")
def _(runs, tmp_path):
    shown = run("breaker", "show", "--manifest", runs, "--host", HOST, "--format", "json")
    assert shown.exit_code == 0, shown.stderr
    assert HOST in shown.stdout and "crossref" not in shown.stdout


@case("breaker open")
def _(runs, tmp_path):
    store = f"sqlite:///{tmp_path}/cooldowns.db"
    opened = run("breaker", "open", HOST, "--seconds", "300", "--reason", "maintenance",
                 "--cooldown-store", store)  # fmt: skip
    assert opened.exit_code == 0, opened.stderr
    shown = run("breaker", "show", "--manifest", runs, "--cooldown-store", store, "--host", HOST)
    assert "maintenance" in shown.stdout
    bad = run("breaker", "open", HOST, "--seconds", "inf", "--reason", "x",
              "--cooldown-store", store)  # fmt: skip
    assert bad.exit_code == 2


@case("breaker close")
def _(runs, tmp_path):
    store = f"sqlite:///{tmp_path}/cooldowns.db"
    run("breaker", "open", HOST, "--seconds", "300", "--reason", "maintenance",
        "--cooldown-store", store)  # fmt: skip
    closed = run("breaker", "close", HOST, "--cooldown-store", store)
    assert closed.exit_code == 0, closed.stderr
    shown = run("breaker", "show", "--manifest", runs, "--cooldown-store", store, "--host", HOST)
    assert "maintenance" not in shown.stdout


@case("breaker-advise --window-s")
def _(runs, tmp_path):
    assert advise("--window-s", "3600", runs)["window"]["seconds"] == 3600
    refused = run("advise", "--window-s", "inf", runs)
    assert refused.exit_code == 2


@case("manifest.jsonl")
def _(runs, tmp_path):
    lines = [
        {"record_type": "attempt", "ts": T0 + k, "host": "jq.example",
         "status": 503 if k % 2 else 200, "reason": "server error" if k % 2 else None}
        for k in range(20)
    ]  # fmt: skip
    path = tmp_path / "manifest.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    report = advise(path)
    assert host(report, "jq.example")["metrics"]["failures"] == 10
