"""The import graph of ``orchestration``: no circles, and domain code that imports no Dagster.

Read from the source with ``ast`` (nothing is imported), counting imports inside functions too:
a circle hidden in a function body breaks as soon as someone moves the import to the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "orchestration"
#: the modules and packages that hold domain logic: plain Python, tested without Dagster
DOMAIN = (
    "sources",
    "ingestion",
    "publishing",
    "clock",
    "settings",
    "quality",
    "forecasting",
    "supply",
    "sop_cycle",
    "sales_planning",
    "dbt_area",
    "connectors",
    "deleted_records",
    "build_window",
    "demo",
    "evaluation",
    "benchmarks",
)


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> tuple[set[str], set[str]]:
    """(orchestration modules imported, top-level names of every other import)."""
    own = name.split(".")
    package = own if path.name == "__init__.py" else own[:-1]
    found, external = set(), set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                (found if alias.name.startswith("orchestration") else external).add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                targets = (
                    [".".join(base + [node.module])] if node.module else [".".join(base + [a.name]) for a in node.names]
                )
            elif node.module.startswith("orchestration"):
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            else:
                external.add(node.module)
                continue
            found.update(targets)
    edges = set()
    for target in found:
        parts = target.split(".")
        for i in range(2, len(parts) + 1):
            prefix = parts[:i]
            if prefix == own[:i] and i < len(own):
                continue  # a module's own packages are initialised before it
            if ".".join(prefix) in MODULES:
                edges.add(".".join(prefix))
    edges.discard(name)
    return edges, {e.split(".")[0] for e in external}


GRAPH = {name: _imports(name, path)[0] for name, path in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_module_import_circle():
    assert _cycles(GRAPH) == []


def test_no_circle_between_the_top_level_modules_and_packages():
    def area(name: str) -> str:
        return ".".join(name.split(".")[:2])

    areas: dict[str, set[str]] = {}
    for name, targets in GRAPH.items():
        areas.setdefault(area(name), set()).update(area(t) for t in targets if area(t) != area(name))
    assert _cycles(areas) == []


@pytest.mark.parametrize("domain", DOMAIN)
def test_domain_code_imports_no_dagster(domain):
    names = [n for n in MODULES if n == f"orchestration.{domain}" or n.startswith(f"orchestration.{domain}.")]
    assert names
    offenders = [n for n in names if {"dagster", "dagster_dbt"} & _imports(n, MODULES[n])[1]]
    assert offenders == []


def test_the_graph_sees_imports_inside_functions():
    # orchestration.cli.main imports the runner inside its command functions only
    assert "orchestration.runner" in GRAPH["orchestration.cli.main"]


#: the modules that may import Dagster: its wiring, the code location, the in-process runner, the CLI
DAGSTER_LAYER = ("orchestration.defs", "orchestration.definitions", "orchestration.runner", "orchestration.cli")


def _in_dagster_layer(name: str) -> bool:
    return any(name == layer or name.startswith(layer + ".") for layer in DAGSTER_LAYER)


def test_only_the_dagster_layer_imports_dagster():
    offenders = [
        name
        for name, path in MODULES.items()
        if not _in_dagster_layer(name) and {"dagster", "dagster_dbt"} & _imports(name, path)[1]
    ]
    assert offenders == []


def test_domain_code_never_imports_the_dagster_layer():
    offenders = {
        name: sorted(t for t in targets if _in_dagster_layer(t))
        for name, targets in GRAPH.items()
        if not _in_dagster_layer(name) and any(_in_dagster_layer(t) for t in targets)
    }
    assert offenders == {}


def test_every_package_is_either_domain_code_or_the_dagster_layer():
    packages = {".".join(n.split(".")[:2]) for n in MODULES if n.count(".") >= 1}
    unclassified = sorted(
        p for p in packages if not _in_dagster_layer(p) and p.removeprefix("orchestration.") not in DOMAIN
    )
    assert unclassified == []
