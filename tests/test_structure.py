"""The package's shape: imports go one way down the pipeline, with no circles, and no
module reaches into another's private names."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "lib" / "maturity"
#: Lower layers never import higher ones (a module may import its own layer and below).
LAYERS = {
    "maturity": 0,  # the package's __init__ (version)
    "maturity.errors": 0,
    "maturity.periods": 1,
    "maturity.organisation": 1,
    "maturity.settings": 1,
    "maturity.ingest": 2,
    "maturity.fetch": 2,  # the tools' APIs into archives the ingest reads
    "maturity.measures": 3,
    "maturity.assessment": 4,
    "maturity.reporting": 5,
    "maturity.cli": 6,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    best = max((k for k in LAYERS if module == k or module.startswith(k + ".")), key=len)
    return LAYERS[best]


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) for each ``maturity`` import of ``path``, function bodies included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("maturity"):
            names = [a.name for a in node.names]
            submodules = [f"{node.module}.{n}" for n in names]
            known = {module_name(p) for p in PACKAGE.rglob("*.py")}
            if all(s in known for s in submodules):
                found.extend((s, []) for s in submodules)
            else:
                found.append((node.module, names))
        elif isinstance(node, ast.Import):
            found.extend((a.name, []) for a in node.names if a.name.startswith("maturity"))
    return found


def test_imports_go_one_way_down_the_pipeline() -> None:
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        me = module_name(path)
        for target, _ in imports(path):
            if layer(target) > layer(me):
                upward.append(f"{me} imports {target}")
    assert upward == []


def test_no_import_cycles() -> None:
    graph = {module_name(p): {t for t, _ in imports(p)} for p in PACKAGE.rglob("*.py")}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph or nxt == node:
                continue
            assert state.get(nxt) != 1, " -> ".join([*trail, node, nxt])
            if nxt not in state:
                visit(nxt, [*trail, node])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])


def test_nothing_reaches_into_another_modules_private_names() -> None:
    reaching = [
        f"{module_name(path)}: {target}.{name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for target, names in imports(path)
        for name in names
        if name.startswith("_") and target != module_name(path)
    ]
    assert reaching == []
