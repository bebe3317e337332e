"""What may import what (docs/architecture.md), read from the source itself.

- The engine's stages form layers: a module imports only from its own stage and from
  the stages below it, never above, so the pipeline reads one way.
- ``cli/`` uses only the public API (``import chronolex``) and its own modules.
- No module imports itself back through others (no import circles), and no import
  hides inside a function, except the one that keeps the solver off the start-up path.
- The engine is a library: no printing, no ``sys.exit``, no clock reads, no click.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

#: The engine's stages, bottom up; a stage may import from itself and the stages before it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "instants"),  # foundations: findings as data; instants, dates, durations
    ("lang",),  # the condition language: parse, check, compile, interpret, trace, smt
    ("model",),  # what a loaded bundle means
    ("time",),  # recurrence, activity by time, versions in force
    ("bundle",),  # YAML, files, schemas, load, snapshot
    ("events",),  # events, their files, the store
    ("log",),  # the decision log: what the service decided, hash-chained
    ("evaluation",),  # facts, assess, change points, decide, hindsight
    ("explain",),  # plain-language answers and their locales
    ("batch",),  # the compiled plan and the SQL engines that run it over every account
    ("diff",),  # sides, structural, semantic, impact, decision logs
    ("checks",),  # validate: load, lint, solver
    ("testing",),  # policy tests
    ("service",),  # the decision service and its console (the clock is handed in)
    ("__init__", "__main__"),  # the public API and `python -m chronolex`
)
#: Imports made inside a function on purpose: (module, imported module, why).
LATE_IMPORTS = {
    ("chronolex.checks.stages", "chronolex.checks.solver"): "z3 loads only when the solver stage runs",
    ("chronolex.batch.spark_session", "pyspark"): "pyspark is the optional spark extra, loaded when Spark runs",
    ("chronolex.batch.spark_session", "py4j"): "py4j comes with pyspark, loaded when Spark runs",
    ("chronolex.cli.commands.log", "pyarrow"): "pyarrow loads only when log export writes Parquet",
}


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    parts = ["chronolex", *parts[1:]] if parts[0] == "engine" else ["chronolex", "cli", *parts[1:]]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sources() -> Iterator[tuple[str, Path, ast.Module]]:
    for folder in ("engine", "cli"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield module_name(path), path, ast.parse(path.read_text(encoding="utf-8"))


def imports(tree: ast.Module) -> Iterator[tuple[str, ast.stmt]]:
    """Every module ``tree`` imports; ``from package import module`` counts as the module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                yield (submodule if submodule in MODULES else node.module), node
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node


def stage(module: str) -> str:
    parts = module.split(".")
    if parts[1:2] == ["cli"]:
        return "cli"
    return parts[1] if len(parts) > 1 else "__init__"


def layer(name: str) -> int:
    return next(i for i, names in enumerate(LAYERS) if name in names)


SOURCES = list(sources())
MODULES = {module for module, _, _ in SOURCES}


def test_every_engine_module_belongs_to_a_layer() -> None:
    stages = {stage(m) for m, _, _ in SOURCES} - {"cli"}
    assert stages == {name for names in LAYERS for name in names}


def test_a_stage_imports_only_from_itself_and_the_stages_below() -> None:
    wrong = []
    for module, path, tree in SOURCES:
        here = stage(module)
        if here == "cli" or here == "__main__":
            continue
        for target, node in imports(tree):
            if not target.startswith("chronolex."):
                continue
            there = stage(target)
            if there == "cli" or (there != here and layer(there) >= layer(here)):
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}: {here} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_the_cli_uses_only_the_public_api() -> None:
    wrong = [f"{path.relative_to(ROOT)}:{node.lineno}: {target}"
             for module, path, tree in SOURCES if stage(module) == "cli"
             for target, node in imports(tree)
             if target.startswith("chronolex.") and not target.startswith("chronolex.cli")]
    assert not wrong, "\n".join(wrong)


def test_there_are_no_import_circles() -> None:
    graph: dict[str, set[str]] = {}
    for module, _, tree in SOURCES:
        graph[module] = {t for t, _ in imports(tree) if t in MODULES and t != module}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                pytest.fail("import circle: " + " -> ".join([*trail[trail.index(nxt):], nxt]))
            if nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


def test_no_import_hides_in_a_function_but_the_named_ones() -> None:
    found = set()
    for module, path, tree in SOURCES:
        for function in ast.walk(tree):
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for node in ast.walk(function):
                    if isinstance(node, (ast.Import, ast.ImportFrom)):
                        found.update((module, target) for target, _ in imports(ast.Module([node], [])))
    assert found == set(LATE_IMPORTS)


FORBIDDEN_CALLS = {"print", "exit", "quit", "input", "breakpoint"}
FORBIDDEN_ATTRIBUTES = {("sys", "exit"), ("datetime", "now"), ("datetime", "utcnow"), ("date", "today"),
                        ("time", "time"), ("time", "monotonic"), ("os", "getenv"), ("os", "getcwd")}


def test_the_engine_never_prints_exits_reads_the_clock_or_imports_click() -> None:
    wrong = []
    for module, path, tree in SOURCES:
        if stage(module) in ("cli", "__main__"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Name) and func.id in FORBIDDEN_CALLS:
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}: {func.id}()")
                if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and (
                        (func.value.id, func.attr) in FORBIDDEN_ATTRIBUTES):
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}: {func.value.id}.{func.attr}()")
        wrong += [f"{path.relative_to(ROOT)}:{node.lineno}: imports {target}" for target, node in imports(tree)
                  if target.split(".")[0] == "click"]
    assert not wrong, "\n".join(wrong)
