"""The package's layering (docs/design.md "Layout"): import-linter's contracts in
pyproject.toml hold, and no module imports itself back through others."""

from __future__ import annotations

from pathlib import Path

import grimp
from importlinter.application import use_cases
from importlinter.configuration import configure

ROOT = Path(__file__).resolve().parents[1]


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_cycle_finder_finds_a_planted_cycle():
    graph = grimp.ImportGraph()
    for name in ("a", "b", "c", "d"):
        graph.add_module(name)
    graph.add_import(importer="a", imported="b")
    graph.add_import(importer="b", imported="c")
    graph.add_import(importer="c", imported="a")
    graph.add_import(importer="c", imported="d")
    assert _cycles(graph) == [["a", "b", "c"]]


def test_no_module_imports_itself_back():
    graph = grimp.build_graph("advisor", include_external_packages=False)
    assert _cycles(graph) == []


def _lint(config: Path) -> bool:
    configure()
    return use_cases.lint_imports(config_filename=str(config), cache_dir=None, no_logo=True)


def test_import_linter_contracts_hold(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    passed = _lint(ROOT / "pyproject.toml")
    assert passed, capsys.readouterr().out


def test_import_linter_sees_an_upward_import(monkeypatch, tmp_path, capsys):
    """The same checker with the layers upside down must fail: the contract has teeth."""
    monkeypatch.chdir(ROOT)
    upside_down = tmp_path / "contracts.toml"
    upside_down.write_text(
        '[tool.importlinter]\nroot_package = "advisor"\n\n'
        "[[tool.importlinter.contracts]]\n"
        'name = "upside down"\ntype = "layers"\ncontainers = ["advisor"]\n'
        'layers = ["model", "pipeline"]\n'
    )
    passed = _lint(upside_down)
    assert not passed
    assert "advisor.pipeline" in capsys.readouterr().out
