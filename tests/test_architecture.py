"""The layers hold: import-linter's contracts pass, an upward import breaks them, and no module imports in a circle.

The layers (docs/architecture.md): entry points (dags/, plugins/, leadpipe.cli, leadpipe.airflow_app) ->
pipeline (leadpipe.pipeline) -> plug-ins and algorithms (connectors, enrichment, expectations, leadpipe.demo)
-> store (leadpipe.store) -> core (leadpipe.core). The contracts live in pyproject.toml.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("leadpipe", "connectors", "enrichment", "expectations")
ENTRY_FOLDERS = ("dags", "plugins")  # loaded by Airflow from their folders, not as packages
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    """Run import-linter on the packages under `root` (its pyproject.toml holds the contracts)."""
    env = {**os.environ, "PYTHONPATH": str(root)}  # before site-packages: the copy wins over the checkout
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=root, env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def test_the_layer_contracts_hold() -> None:
    result = _lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(("module", "upward"), [
    ("enrichment/score.py", "from leadpipe.store import warehouse"),  # an algorithm reaching for the store
    ("leadpipe/store/ledger.py", "import leadpipe.pipeline.stages"),  # the store reaching for the pipeline
    ("leadpipe/core/schema.py", "import connectors.registry"),  # the core reaching for a plug-in
])
def test_an_upward_import_breaks_the_contracts(tmp_path: Path, module: str, upward: str) -> None:
    copy = tmp_path / "repo"
    copy.mkdir()
    shutil.copy(REPO / "pyproject.toml", copy)
    for package in PACKAGES:
        shutil.copytree(REPO / package, copy / package, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{upward}  # planted by the test\n",
                      encoding="utf-8")
    result = _lint_imports(copy)
    assert result.returncode != 0, result.stdout
    assert "BROKEN" in result.stdout
    importer = module.removesuffix(".py").replace("/", ".")
    assert importer in result.stdout, result.stdout


# ---------------------------------------------------------------- the module graph, from the source


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for top in PACKAGES + ENTRY_FOLDERS:
        for path in sorted((REPO / top).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _imported(module: str, path: Path, node: ast.Import | ast.ImportFrom, modules: dict[str, Path]) -> list[str]:
    """The modules one import statement names: `from pkg import submodule` names the submodule (the package's
    __init__ runs for any submodule import anyway), `from module import name` names the module."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if node.level:  # relative: from the module's package
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    names = [f"{base}.{a.name}" for a in node.names]
    return [n for n in names if n in modules] or [base]


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Line numbers of imports under `if TYPE_CHECKING:`: annotations only, never run."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            lines |= {n.lineno for stmt in node.body for n in ast.walk(stmt)
                      if isinstance(n, ast.Import | ast.ImportFrom)}
    return lines


def import_graph() -> dict[str, set[str]]:
    """Every import between project modules that runs, at module level or inside functions, as
    module -> modules (imports under `if TYPE_CHECKING:` are left out: they never run)."""
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = _type_checking_only(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom) or node.lineno in typing_only:
                continue
            for name in _imported(module, path, node, modules):
                while name and name not in modules and "." in name:
                    name = name.rsplit(".", 1)[0]
                if name in modules and name != module:
                    graph[module].add(name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
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


def test_the_cycle_finder_finds_a_planted_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_sees_imports_inside_functions() -> None:
    graph = import_graph()
    # dags import the stages only inside their tasks (parse time); the graph must still see that link
    assert "leadpipe.pipeline.stages" in graph["dags.leads_nightly"]


def test_no_project_module_imports_in_a_circle() -> None:
    assert cycles(import_graph()) == []


def _explained(lines: list[str], lineno: int) -> bool:
    """A comment on the import's line, or on the line above its block of imports."""
    if "#" in lines[lineno - 1]:
        return True
    above = lineno - 2
    while above >= 0 and lines[above].strip().startswith(("import ", "from ")):
        if "#" in lines[above]:
            return True
        above -= 1
    return above >= 0 and lines[above].strip().startswith("#")


def test_imports_inside_functions_say_why() -> None:
    """An import inside a function hides a dependency; it is allowed where a comment says why (DAG parse time,
    an optional dependency, a heavy library on a light path), on its line or the line above."""
    unexplained = []
    for path in _modules().values():
        lines = path.read_text(encoding="utf-8").splitlines()
        tree = ast.parse("\n".join(lines))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.Import | ast.ImportFrom) and not _explained(lines, node.lineno):
                    unexplained.append(f"{path.relative_to(REPO)}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    assert unexplained == [], "imports inside functions without a comment saying why:\n" + "\n".join(
        sorted(set(unexplained)))
