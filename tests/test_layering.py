"""The layers of docs/ARCHITECTURE.md, checked on the source: `ir` <- `frontends`,
`schemes`, `models` <- the engines (`checker`, `simulator`, `hardware`) <- `reports` <-
`compose` <- `api`, `zoo`, `tour` <- `cli`. An engine never imports another engine, except
the few shared pieces named in `SHARED`; a front end never runs an engine. And no name
starting with `_` is imported or reached as an attribute across a package boundary."""

from __future__ import annotations

import ast
from pathlib import Path

import incref

SRC = Path(incref.__file__).parent
BASE = {"errors", "budget"}  # error values and the command's time budget, used everywhere
BELOW_ENGINES = {"ir", "frontends", "schemes", "models"}
ENGINES = {"checker", "simulator", "hardware"}
LAYERS = {
    "examples": set(),
    "ir": set(),
    "frontends": {"ir", "examples"},
    "catalogue": {"ir", "frontends"},
    "schemes": {"ir"},
    "models": {"ir"},
    "checker": {"ir", "models"},
    "simulator": {"ir", "models", "frontends"},  # frontends.text reads a protocol table file
    "hardware": {"ir", "schemes"},
    "reports": {"ir"},
    "compose": BELOW_ENGINES | ENGINES | {"reports"},
}
for _top in ("api", "zoo", "tour"):
    LAYERS[_top] = BELOW_ENGINES | ENGINES | {"reports", "compose"}
LAYERS["cli"] = set(LAYERS["tour"]) | {"api", "zoo", "tour", "examples"}
# the only modules one engine (or a report) may take from another package above its layer
SHARED = {
    "simulator": (
        "incref.checker.explore",  # the generic explorer both exhaustive engines plug into
        "incref.checker.invariants",  # the refcount invariants every engine reports alike
        "incref.hardware.compile",  # the system compiler, for timed mode's C hot loop
    ),
    "reports": ("incref.models.axiomatic.relalg",),  # relations of an execution graph, to draw it
}


def _module(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "incref"


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _sources():
    for path in sorted(SRC.rglob("*.py")):
        if "probes" not in path.parts:  # scripts run in another Python, importing nothing of ours
            yield _module(path), ast.parse(path.read_text(encoding="utf-8"))


def _imports(tree: ast.AST):
    """Everything imported from incref; `from m import x` imports `m.x` (a module or a
    name in `m`)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("incref"):
            yield from (f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.startswith("incref"))


def _layer_breaks(module: str, tree: ast.AST) -> list[str]:
    mine = _package(module)
    broken = []
    for target in _imports(tree):
        theirs = _package(target)
        if mine == "incref" or theirs in (mine, "incref") or theirs in BASE or theirs in LAYERS.get(mine, set()):
            continue
        if not any(target == shared or target.startswith(shared + ".") for shared in SHARED.get(mine, ())):
            broken.append(f"{module} imports {target}")
    return broken


def test_every_package_imports_only_the_layers_below_it():
    assert [b for module, tree in _sources() for b in _layer_breaks(module, tree)] == []


def test_an_engine_importing_another_engine_breaks_the_layers():
    tree = ast.parse("from incref.checker import check\nimport incref.checker.explore\n")
    assert _layer_breaks("incref.hardware.runner", tree) == [
        "incref.hardware.runner imports incref.checker.check",
        "incref.hardware.runner imports incref.checker.explore",
    ]
    assert _layer_breaks("incref.simulator.machine", tree) == ["incref.simulator.machine imports incref.checker.check"]
    assert _layer_breaks("incref.frontends.litmus", ast.parse("from incref.compose import run_file")) != []


def test_no_private_name_crosses_a_package_boundary():
    trees = list(_sources())
    defined: dict[str, set[str]] = {}  # private name -> packages that define it
    for module, tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names = [node.name]
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names = [node.attr]
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names = [node.id]
            else:
                continue
            defined.update({n: defined.get(n, set()) | {_package(module)} for n in names if _private(n)})
    crossing = []
    for module, tree in trees:
        mine = _package(module)
        for target in _imports(tree):
            if _package(target) != mine and any(_private(p) for p in target.split(".")):
                crossing.append(f"{module} imports {target}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and _private(node.attr):
                if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                    continue
                owners = defined.get(node.attr, set())
                if owners and mine not in owners:
                    crossing.append(f"{module}:{node.lineno} reaches .{node.attr} of {', '.join(sorted(owners))}")
    assert crossing == []
