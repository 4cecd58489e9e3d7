"""The package layering holds: imports run one way (layouts <- validators <- state <- engine
<- reports <- operator), an engine family imports only the shared machinery and itself, the
shared machinery imports no family, and no module imports itself round a circle. Every
import is counted, a function-level one too (ARCHITECTURE.md, "Layering")."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("layouts", "validators", "pipelines")
# Lowest first; a module may import its own layer and the layers before it.
LAYERS = ("layouts", "validators", "pipelines.state", "pipelines.engine", "pipelines.reports",
          "pipelines.operator")
MACHINERY = "pipelines.engine.machinery"


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _imports(path: Path, name: str, modules: dict[str, Path]) -> set[str]:
    """The project modules `name` imports (a `from package import module` names the module)."""
    out: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name in modules}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            for alias in node.names:
                if f"{base}.{alias.name}" in modules:
                    out.add(f"{base}.{alias.name}")
                elif base in modules:
                    out.add(base)
    out.discard(name)
    return out


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, name, modules) for name, path in modules.items()}


def _layer(module: str) -> int | None:
    at = [i for i, layer in enumerate(LAYERS) if module == layer or module.startswith(f"{layer}.")]
    return at[-1] if at else None


def _family(module: str) -> str | None:
    """`pipelines.engine.<family>...` -> family (None for the machinery and non-engine)."""
    parts = module.split(".")
    if len(parts) < 3 or parts[:2] != ["pipelines", "engine"] or module.startswith(MACHINERY):
        return None
    return parts[2]


def test_every_module_of_the_installed_packages_has_a_layer():
    unplaced = [m for m in _graph() if _layer(m) is None and m != "pipelines"]
    assert unplaced == []


def test_no_import_runs_against_the_layering():
    wrong = [(a, b) for a, targets in _graph().items() for b in targets
             if _layer(a) is not None and _layer(b) is not None and _layer(b) > _layer(a)]
    assert wrong == [], "a lower layer imports a higher one: " + ", ".join(
        f"{a} -> {b}" for a, b in wrong)


def test_an_engine_family_imports_no_other_family_and_the_machinery_none():
    wrong = []
    for a, targets in _graph().items():
        for b in targets:
            if _family(b) is None:
                continue
            if a.startswith(MACHINERY) or (_family(a) is not None and _family(a) != _family(b)):
                wrong.append(f"{a} -> {b}")
    assert wrong == []


def test_no_import_circle():
    graph = _graph()
    state: dict[str, int] = {}  # 1 on the path, 2 done
    circles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                circles.append([*path[path.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert circles == [], " | ".join(" -> ".join(c) for c in circles)


def test_the_checks_see_a_wrong_import():
    """The scan is not vacuous: the engine's weekly run imports the machinery, and an import
    of a report from the engine would be caught."""
    graph = _graph()
    assert "pipelines.engine.machinery.intake" in graph["pipelines.engine.qap.weekly"]
    assert _layer("pipelines.reports.qap_week") > _layer("pipelines.engine.qap.weekly")
    assert _family("pipelines.engine.sampling.select") == "sampling"
    assert _family("pipelines.engine.machinery.family") is None
