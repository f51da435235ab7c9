"""Tests for advisor.config: breakers.yaml, env overlays, CLI overrides, origins, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.config import (
    KNOB_KEYS,
    BreakerConfig,
    BreakerSettings,
    load_config,
    parse_settings_spec,
)
from advisor.errors import ConfigError, UsageError

# The "New (Circuit Breaker)" example of the seed guide's Migration Guide.
SEED_YAML = """\
defaults:
  fail_max: 5
  reset_timeout_s: 60
  retry_after_cap_s: 900

hosts:
  api.crossref.org:
    fail_max: 6
    reset_timeout_s: 90
  export.arxiv.org:
    fail_max: 10
    reset_timeout_s: 120
"""

# Every section the loader understands, in the shape real deployments use.
FULL_YAML = """\
defaults:
  fail_max: 5
  reset_timeout_s: 60
  retry_after_cap_s: 900
  classify:
    failure_statuses: [500, 502, 503, 504]
    neutral_statuses: [404, 410]
  half_open:
    jitter_ms: 150
    trial_calls: 2
  roles:
    metadata:
      fail_max: 3
      reset_timeout_s: 45
      success_threshold: 2
    artifact:
      fail_max: 8
advanced:
  rolling:
    enabled: true
    threshold_failures: 3
    window_s: 10
hosts:
  API.Crossref.org:
    fail_max: 6
    reset_timeout_s: 90
    roles:
      metadata:
        fail_max: 4
  export.arxiv.org:
    retry_after_cap_s: 600
resolvers:
  crossref:
    fail_max: 3
    half_open:
      success_threshold: 2
"""


def write(tmp_path: Path, text: str, name: str = "breakers.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    message = str(info.value)
    assert str(path) in message
    return message


# --- YAML ----------------------------------------------------------------------------------


def test_seed_guide_example(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, SEED_YAML), env={})
    assert config.effective("api.crossref.org").to_dict() == {
        "fail_max": 6,
        "reset_timeout_s": 90,
        "success_threshold": 1,
        "trial_calls": 1,
        "retry_after_cap_s": 900,
    }
    assert config.effective("export.arxiv.org") == BreakerSettings(fail_max=10, reset_timeout_s=120)
    assert config.effective("unknown.example.org") == BreakerSettings()
    assert config.configured_hosts() == ["api.crossref.org", "export.arxiv.org"]
    assert config.path == str(tmp_path / "breakers.yaml")
    assert config.disabled is False


def test_builtin_defaults_without_any_config() -> None:
    config = load_config(env={})
    assert config.path is None
    assert config.effective("a.org").to_dict() == {
        "fail_max": 5,
        "reset_timeout_s": 60,
        "success_threshold": 1,
        "trial_calls": 1,
        "retry_after_cap_s": 900,
    }
    assert config.origin("a.org") == dict.fromkeys(KNOB_KEYS, "default")
    assert config.configured_hosts() == []


def test_to_dict_keeps_fractions_and_key_order() -> None:
    settings = BreakerSettings(fail_max=3, reset_timeout_s=12.5, retry_after_cap_s=30.0)
    assert list(settings.to_dict()) == list(KNOB_KEYS)
    assert settings.to_dict()["reset_timeout_s"] == 12.5
    assert type(settings.to_dict()["retry_after_cap_s"]) is int


def test_full_shape_sections_are_kept(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FULL_YAML), env={})
    assert config.classify == {
        "failure_statuses": [500, 502, 503, 504],
        "neutral_statuses": [404, 410],
    }
    assert config.rolling == {"enabled": True, "threshold_failures": 3, "window_s": 10}
    assert config.half_open == {"jitter_ms": 150}
    assert config.defaults["trial_calls"] == 2  # set through defaults.half_open
    assert config.resolvers == {"crossref": {"fail_max": 3, "success_threshold": 2}}
    assert config.roles["metadata"] == {
        "fail_max": 3,
        "reset_timeout_s": 45.0,
        "success_threshold": 2,
    }
    assert config.host_roles == {("api.crossref.org", "metadata"): {"fail_max": 4}}


def test_precedence_defaults_role_host_host_role(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FULL_YAML), env={})
    # host+role beats host beats role beats defaults
    assert config.effective("api.crossref.org", "metadata") == BreakerSettings(
        fail_max=4, reset_timeout_s=90, success_threshold=2, trial_calls=2
    )
    # host beats role
    assert config.effective("api.crossref.org", "artifact").fail_max == 6
    # role beats defaults for an unconfigured host
    assert config.effective("other.org", "metadata") == BreakerSettings(
        fail_max=3, reset_timeout_s=45, success_threshold=2, trial_calls=2
    )
    # a role with no entry falls back to the defaults
    assert config.effective("other.org", "landing") == BreakerSettings(trial_calls=2)
    assert config.effective("export.arxiv.org", "metadata").retry_after_cap_s == 600


def test_hosts_match_case_insensitively(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FULL_YAML), env={})
    assert "api.crossref.org" in config.hosts
    assert config.effective("  API.CROSSREF.ORG ").fail_max == 6
    assert config.effective("Api.Crossref.Org", " Metadata ").fail_max == 4
    assert config.configured_hosts() == ["api.crossref.org", "export.arxiv.org"]


def test_empty_file_and_null_sections(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, ""), env={}).effective("x.org") == BreakerSettings()
    config = load_config(write(tmp_path, "defaults:\nhosts:\n  a.org:\nresolvers:\n"), env={})
    assert config.configured_hosts() == ["a.org"]
    assert config.effective("a.org") == BreakerSettings()
    assert config.resolvers == {}


def test_numeric_text_in_yaml_is_accepted(tmp_path: Path) -> None:
    # PyYAML reads 1e3 (no dot) as a string.
    config = load_config(write(tmp_path, "defaults:\n  reset_timeout_s: 1e3\n"), env={})
    assert config.effective("a.org").reset_timeout_s == 1000.0


# --- environment ---------------------------------------------------------------------------


def test_env_yaml_path_used_when_no_path_given(tmp_path: Path) -> None:
    path = write(tmp_path, SEED_YAML)
    config = load_config(env={"DOCSTOKG_BREAKERS_YAML": str(path)})
    assert config.path == str(path)
    assert config.effective("api.crossref.org").fail_max == 6


def test_explicit_path_beats_env_yaml(tmp_path: Path) -> None:
    seed = write(tmp_path, SEED_YAML)
    other = write(tmp_path, "hosts:\n  api.crossref.org:\n    fail_max: 9\n", "other.yaml")
    config = load_config(other, env={"DOCSTOKG_BREAKERS_YAML": str(seed)})
    assert config.path == str(other)
    assert config.effective("api.crossref.org").fail_max == 9


def test_env_hosts_several_hosts(tmp_path: Path) -> None:
    env = {"DOCSTOKG_BREAKER_HOSTS": "api.example.org=fail_max:3,reset:45; B.org=trial_calls:2;"}
    config = load_config(write(tmp_path, SEED_YAML), env=env)
    assert config.effective("api.example.org") == BreakerSettings(fail_max=3, reset_timeout_s=45)
    assert config.effective("b.org").trial_calls == 2
    assert config.origin("api.example.org")["reset_timeout_s"] == "env"
    assert config.configured_hosts() == [
        "api.crossref.org",
        "api.example.org",
        "b.org",
        "export.arxiv.org",
    ]


def test_env_roles(tmp_path: Path) -> None:
    env = {
        "DOCSTOKG_BREAKER_ROLES": (
            "api.example.org:metadata=fail_max:2,success_threshold:2;"
            "api.example.org:landing=fail_max:7"
        )
    }
    config = load_config(env=env)
    assert config.effective("api.example.org", "metadata") == BreakerSettings(
        fail_max=2, success_threshold=2
    )
    assert config.effective("api.example.org", "landing").fail_max == 7
    assert config.effective("api.example.org").fail_max == 5
    assert config.origin("api.example.org", "metadata")["success_threshold"] == "env"


def test_env_overrides_yaml_for_same_key(tmp_path: Path) -> None:
    env = {"DOCSTOKG_BREAKER_HOSTS": "API.crossref.org=fail_max:3"}
    config = load_config(write(tmp_path, SEED_YAML), env=env)
    assert config.effective("api.crossref.org") == BreakerSettings(fail_max=3, reset_timeout_s=90)
    origin = config.origin("api.crossref.org")
    assert origin["fail_max"] == "env"
    assert origin["reset_timeout_s"] == "yaml"


@pytest.mark.parametrize(
    ("value", "disabled"),
    [("1", True), ("true", True), ("YES", True), ("0", False), ("", False), ("off", False)],
)
def test_env_disabled(value: str, disabled: bool) -> None:
    assert load_config(env={"DOCSTOKG_BREAKER_DISABLED": value}).disabled is disabled


def test_env_none_reads_os_environ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCSTOKG_BREAKERS_YAML", str(write(tmp_path, SEED_YAML)))
    monkeypatch.setenv("DOCSTOKG_BREAKER_DISABLED", "1")
    config = load_config()
    assert config.disabled is True
    assert config.effective("api.crossref.org").fail_max == 6


# --- CLI-style overrides ------------------------------------------------------------------


def test_cli_beats_env_beats_yaml(tmp_path: Path) -> None:
    env = {
        "DOCSTOKG_BREAKER_HOSTS": "api.crossref.org=fail_max:3,retry_after_cap:300",
        "DOCSTOKG_BREAKER_ROLES": "api.crossref.org:metadata=fail_max:2,trial_calls:3",
    }
    config = load_config(
        write(tmp_path, SEED_YAML),
        env=env,
        host_overrides=["api.crossref.org=fail_max:4"],
        role_overrides=["API.crossref.org:metadata=fail_max:7"],
    )
    assert config.effective("api.crossref.org") == BreakerSettings(
        fail_max=4, reset_timeout_s=90, retry_after_cap_s=300
    )
    assert config.origin("api.crossref.org") == {
        "fail_max": "cli",
        "reset_timeout_s": "yaml",
        "success_threshold": "default",
        "trial_calls": "default",
        "retry_after_cap_s": "env",
    }
    assert config.effective("api.crossref.org", "metadata").fail_max == 7
    assert config.effective("api.crossref.org", "metadata").trial_calls == 3
    assert config.origin("api.crossref.org", "metadata")["trial_calls"] == "env"


def test_cli_defaults_override(tmp_path: Path) -> None:
    config = load_config(
        write(tmp_path, SEED_YAML),
        env={},
        defaults_override="fail_max:4,reset:30,retry_after_cap:120",
    )
    assert config.effective("unknown.org") == BreakerSettings(
        fail_max=4, reset_timeout_s=30, retry_after_cap_s=120
    )
    assert config.origin("unknown.org")["reset_timeout_s"] == "cli"
    # A host's own value is a more specific layer and still wins.
    assert config.effective("api.crossref.org").fail_max == 6
    assert config.origin("api.crossref.org")["fail_max"] == "yaml"
    assert config.effective("api.crossref.org").retry_after_cap_s == 120


def test_cli_resolver_override(tmp_path: Path) -> None:
    config = load_config(
        write(tmp_path, FULL_YAML),
        env={},
        resolver_overrides=["crossref=reset:20", "wayback=fail_max:4"],
    )
    assert config.resolvers == {
        "crossref": {"fail_max": 3, "success_threshold": 2, "reset_timeout_s": 20.0},
        "wayback": {"fail_max": 4},
    }
    assert config.origins[("resolvers", "crossref")] == {
        "fail_max": "yaml",
        "success_threshold": "yaml",
        "reset_timeout_s": "cli",
    }


def test_role_override_host_with_port() -> None:
    config = load_config(env={}, role_overrides=["api.x.org:8443:metadata=fail_max:2"])
    assert config.host_roles == {("api.x.org:8443", "metadata"): {"fail_max": 2}}


def test_parse_settings_spec_short_and_long_keys() -> None:
    assert parse_settings_spec("fail_max:4,reset:90", "--breaker") == {
        "fail_max": 4,
        "reset_timeout_s": 90.0,
    }
    long_form = "reset_timeout_s:2.5, retry_after_cap_s:60, success_threshold:2, trial_calls:3"
    assert parse_settings_spec(long_form, "--breaker") == {
        "reset_timeout_s": 2.5,
        "retry_after_cap_s": 60.0,
        "success_threshold": 2,
        "trial_calls": 3,
    }
    assert parse_settings_spec("retry_after_cap:900", "x") == {"retry_after_cap_s": 900.0}
    assert type(parse_settings_spec("fail_max:4", "x")["fail_max"]) is int


# --- origin --------------------------------------------------------------------------------


def test_origin_per_layer(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FULL_YAML), env={})
    assert config.origin("api.crossref.org", "metadata") == {
        "fail_max": "yaml",
        "reset_timeout_s": "yaml",
        "success_threshold": "yaml",
        "trial_calls": "yaml",
        "retry_after_cap_s": "yaml",
    }
    assert config.origin("nowhere.org", "landing") == {
        "fail_max": "yaml",
        "reset_timeout_s": "yaml",
        "success_threshold": "default",
        "trial_calls": "yaml",
        "retry_after_cap_s": "yaml",
    }


def test_hand_built_config() -> None:
    config = BreakerConfig(hosts={"a.org": {"reset_timeout_s": 30}})
    assert config.effective("A.org").reset_timeout_s == 30.0
    assert isinstance(config.effective("a.org").reset_timeout_s, float)
    assert config.origin("a.org")["reset_timeout_s"] == "yaml"
    assert config.origin("a.org")["fail_max"] == "default"


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (
            "hosts:\n  api.x.org:\n    fail_max: 0\n",
            ["hosts.api.x.org.fail_max", "expected a positive integer", "0"],
        ),
        (
            "hosts:\n  api.x.org:\n    fail_max: 2.5\n",
            ["hosts.api.x.org.fail_max", "expected a positive integer"],
        ),
        (
            "hosts:\n  api.x.org:\n    fail_max: true\n",
            ["hosts.api.x.org.fail_max", "expected a positive integer"],
        ),
        (
            "defaults:\n  reset_timeout_s: -5\n",
            ["defaults.reset_timeout_s", "expected a positive number"],
        ),
        (
            "defaults:\n  retry_after_cap_s: soon\n",
            ["defaults.retry_after_cap_s", "expected a positive number", "'soon'"],
        ),
        (
            "defaults:\n  reset_timeout_s: .nan\n",
            ["defaults.reset_timeout_s", "expected a positive number"],
        ),
        (
            "hosts:\n  api.x.org:\n    fial_max: 3\n",
            ["hosts.api.x.org.fial_max", "unknown key", "allowed keys", "fail_max", "half_open"],
        ),
        (
            "defaults:\n  roles:\n    metadata:\n      reset: 3\n",
            ["defaults.roles.metadata.reset", "unknown key", "reset_timeout_s"],
        ),
        (
            "defaults:\n  roles:\n    metdata:\n      fail_max: 3\n",
            ["defaults.roles.metdata", "unknown role", "metadata, landing, artifact"],
        ),
        (
            "hosts:\n  a.org:\n    roles:\n      bulk: {fail_max: 3}\n",
            ["hosts.a.org.roles.bulk", "unknown role"],
        ),
        (
            "hosts:\n  a.org:\n    roles:\n      metadata: {classify: {}}\n",
            ["hosts.a.org.roles.metadata.classify", "unknown key"],
        ),
        (
            "host:\n  a.org: {}\n",
            ["host", "unknown key", "defaults, advanced, hosts, resolvers"],
        ),
        ("- a\n- b\n", ["top level", "expected a mapping", "list"]),
        ("hosts: [a.org]\n", ["hosts", "expected a mapping", "list"]),
        ("hosts:\n  a.org: 5\n", ["hosts.a.org", "expected a mapping", "int"]),
        ("defaults:\n  classify: [500]\n", ["defaults.classify", "expected a mapping"]),
        ("advanced:\n  rolling: yes\n", ["advanced.rolling", "expected a mapping"]),
        ("advanced:\n  burst: {}\n", ["advanced.burst", "unknown key", "rolling"]),
        (
            "hosts:\n  a.org: {}\n  A.ORG: {}\n",
            ["hosts.A.ORG", "hosts.a.org", "case-folded"],
        ),
        (
            "hosts:\n  a.org:\n    half_open: {jitter_ms: 5}\n",
            ["hosts.a.org.half_open.jitter_ms", "unknown key", "success_threshold"],
        ),
        (
            "defaults:\n  success_threshold: 1\n  half_open: {success_threshold: 2}\n",
            ["defaults.half_open.success_threshold", "conflicts", "defaults.success_threshold"],
        ),
        (
            "resolvers:\n  crossref:\n    trial_calls: -1\n",
            ["resolvers.crossref.trial_calls", "expected a positive integer"],
        ),
    ],
)
def test_malformed_yaml_values(tmp_path: Path, text: str, fragments: list[str]) -> None:
    message = error_of(tmp_path, text)
    for fragment in fragments:
        assert fragment in message


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    message = error_of(tmp_path, "defaults:\n  fail_max: 5\nhosts:\n  a.org: [1, 2\n")
    assert message.startswith(f"{tmp_path / 'breakers.yaml'}: line 5: invalid YAML: expected ','")


def test_yaml_tab_indent_error_line(tmp_path: Path) -> None:
    message = error_of(tmp_path, "defaults:\n  fail_max: 5\n\tfail_max: 6\n")
    assert "line 3" in message


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError, match="nope.yaml: breaker config file not found"):
        load_config(path, env={})


def test_missing_file_from_env_names_variable(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as info:
        load_config(env={"DOCSTOKG_BREAKERS_YAML": str(path)})
    assert str(path) in str(info.value)
    assert "DOCSTOKG_BREAKERS_YAML" in str(info.value)


def test_directory_or_binary_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read breaker config"):
        load_config(tmp_path, env={})
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ConfigError, match="b.yaml: cannot read breaker config"):
        load_config(binary, env={})


def test_config_error_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as info:
        load_config(env={}, host_overrides=["nonsense"])
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    ("kwargs", "fragments"),
    [
        ({"host_overrides": ["api.x.org"]}, ["--breaker", "expected HOST=key:value,key:value"]),
        ({"host_overrides": ["=fail_max:3"]}, ["--breaker", "expected HOST="]),
        (
            {"host_overrides": ["api.x.org=fail_max:zero"]},
            ["--breaker", "hosts.api.x.org.fail_max", "expected a positive integer", "'zero'"],
        ),
        (
            {"host_overrides": ["api.x.org=fail_max"]},
            ["--breaker", "hosts.api.x.org.fail_max", "got 'fail_max'", "expected key:value"],
        ),
        (
            {"host_overrides": ["api.x.org="]},
            ["--breaker", "hosts.api.x.org", "empty", "expected key:value"],
        ),
        (
            {"host_overrides": ["api.x.org=timeout:5"]},
            ["--breaker", "hosts.api.x.org.timeout", "unknown key", "reset|reset_timeout_s"],
        ),
        (
            {"role_overrides": ["api.x.org=fail_max:2"]},
            ["--breaker-role", "expected HOST:ROLE=key:value,key:value"],
        ),
        (
            {"role_overrides": ["api.x.org:bulk=fail_max:2"]},
            ["--breaker-role", "hosts.api.x.org.roles.bulk", "unknown role"],
        ),
        (
            {"role_overrides": ["api.x.org:landing=reset:0"]},
            ["--breaker-role", "hosts.api.x.org.roles.landing.reset_timeout_s", "positive"],
        ),
        (
            {"defaults_override": "fail_max:5,reset:inf"},
            ["--breaker-defaults", "defaults.reset_timeout_s", "expected a positive number"],
        ),
        ({"defaults_override": ""}, ["--breaker-defaults", "empty", "expected key:value"]),
        (
            {"resolver_overrides": ["crossref"]},
            ["--breaker-resolver", "expected NAME=key:value,key:value"],
        ),
        (
            {"resolver_overrides": ["crossref=trial_calls:-2"]},
            ["--breaker-resolver", "resolvers.crossref.trial_calls", "positive integer"],
        ),
    ],
)
def test_malformed_cli_overrides(kwargs: dict[str, object], fragments: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(env={}, **kwargs)  # type: ignore[arg-type]
    for fragment in fragments:
        assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("env", "fragments"),
    [
        (
            {"DOCSTOKG_BREAKER_HOSTS": "a.org=fail_max:3;b.org"},
            ["DOCSTOKG_BREAKER_HOSTS", "'b.org'", "expected HOST=key:value,key:value"],
        ),
        (
            {"DOCSTOKG_BREAKER_HOSTS": "a.org=reset:-1"},
            ["DOCSTOKG_BREAKER_HOSTS", "hosts.a.org.reset_timeout_s", "positive number"],
        ),
        (
            {"DOCSTOKG_BREAKER_ROLES": "a.org=fail_max:2"},
            ["DOCSTOKG_BREAKER_ROLES", "expected HOST:ROLE=key:value,key:value"],
        ),
        (
            {"DOCSTOKG_BREAKER_ROLES": "a.org:metadata=success_threshold:0"},
            ["DOCSTOKG_BREAKER_ROLES", "hosts.a.org.roles.metadata.success_threshold"],
        ),
        (
            {"DOCSTOKG_BREAKER_DISABLED": "maybe"},
            ["DOCSTOKG_BREAKER_DISABLED", "'maybe'", "expected 1 or 0"],
        ),
    ],
)
def test_malformed_env(env: dict[str, str], fragments: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(env=env)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_parse_settings_spec_names_where() -> None:
    with pytest.raises(ConfigError) as info:
        parse_settings_spec("fail_max:4,bogus:1", "--breaker-defaults")
    message = str(info.value)
    assert message.startswith("--breaker-defaults: bogus: unknown key")
    assert "fail_max" in message
