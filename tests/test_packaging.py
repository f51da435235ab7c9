"""The wheel ships queries/ and the report templates, installs into an empty venv and
runs from another folder; the public surface is the chosen one."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest

import advisor
from advisor.cli.app import app
from tests.helpers import manifests as m
from tests.helpers.manifests import T0, call, change

ROOT = Path(__file__).resolve().parent.parent


def test_public_surface_is_sorted_and_importable():
    assert advisor.__all__ == sorted(advisor.__all__)
    for name in advisor.__all__:
        assert hasattr(advisor, name), name


def test_every_command_has_help_and_a_readme_mention():
    readme = (ROOT / "README.md").read_text()
    import typer.main

    group = typer.main.get_command(app)
    missing = []
    for name, command in group.commands.items():
        assert command.help, f"command {name} has no help text"
        subcommands = getattr(command, "commands", {}) or {None: command}
        for sub in subcommands:
            phrase = f"breaker-advisor {name}" + (f" {sub}" if sub else "")
            if phrase not in readme:
                missing.append(phrase)
    assert not missing, f"commands not mentioned in README.md: {missing}"
    assert "breaker-advise " in readme


@pytest.mark.slow
def test_wheel_installs_and_runs_from_another_folder(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(dist), str(ROOT)],
        check=True,
    )  # fmt: skip
    wheel = next(dist.glob("breaker_advisor-*.whl"))
    names = subprocess.run(
        [sys.executable, "-m", "zipfile", "-l", str(wheel)], capture_output=True, text=True
    ).stdout
    shipped = set(re.findall(r"advisor/queries/(\S+)\.sql", names))
    in_repo = {q.relative_to(ROOT / "queries").with_suffix("").as_posix()
               for q in (ROOT / "queries").rglob("*.sql")}  # fmt: skip
    assert "events/breaker_events" in shipped
    assert shipped == in_repo
    assert re.search(r"advisor/templates/", names)
    assert "advisor/advice/rules/defaults.yaml" in names
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    subprocess.run([py, "-m", "pip", "install", "-q", str(wheel)], check=True)
    manifest = m.breaker_events(
        tmp_path / "manifest.sqlite3",
        [change(T0, "h.example", "closed", "open"), call(T0 + 1, "h.example", "rejected", "open")],
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run = subprocess.run(
        [env_dir / "bin" / "breaker-advise", "--format", "json", "--until", "latest", manifest],
        cwd=elsewhere, capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["hosts"][0]["metrics"]["opens"] == 1
    where = subprocess.run(
        [py, "-c", "import advisor.resources as r; print(r.queries_dir())"],
        cwd=elsewhere, capture_output=True, text=True, env=env,
    ).stdout  # fmt: skip
    assert str(env_dir) in where
    names_installed = subprocess.run(
        [py, "-c", "import advisor.queries as q; print(*q.available())"],
        cwd=elsewhere, capture_output=True, text=True, env=env,
    ).stdout.split()  # fmt: skip
    assert names_installed == sorted(in_repo)
