"""The shape of the code (issue 7): dependencies point one way, and the rules that keep them so.

- no import cycle among the modules of backend/, api/, villages/, notifications/ (grimp's graph, which also
  sees imports inside functions and under TYPE_CHECKING), nor among the apps: each Django app is one node, and
  the project package (backend/ outside its apps) and api are one each, so no app both uses another and is used
  by it;
- no import inside a function, except the registration of event handlers in `AppConfig.ready()`;
- no `from x import _private` across modules, no ImportError guard, no module looked up by name;
- no module over 500 lines;
- the import-linter contracts of pyproject.toml hold ([tool.importlinter]; `make test` runs them first too);
- every fact recovery announces (backend/recovery/events.py) has a reaction once Django is set up.

Each list of known exceptions below can only shrink: an entry that no longer matches the code fails the test,
so the list is kept true.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import inspect
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grimp
from django.conf import settings

from backend.common import events
from backend.recovery import events as recovery_events

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("backend", "api", "web", "villages", "notifications", "datasets")
MAX_MODULE_LINES = 500

# Function-level imports that remain, as (file, module imported). AppConfig.ready() registering its handlers
# is allowed and not listed. Management commands are scanned like any other module: they have no reason to
# import lazily. Celery task modules get no exception either: they are thin and import their services at the
# top, no cycle needs breaking. The cycle a listed import closes is not reported by test_no_import_cycles (the
# entry is its to-do); moving the import to the top without breaking the cycle fails that test.
KNOWN_FUNCTION_IMPORTS: set[tuple[str, str]] = set()

# Private names imported from another module of the project, as (file, "module.name").
KNOWN_PRIVATE_IMPORTS: set[tuple[str, str]] = set()

# Modules over MAX_MODULE_LINES, with the line count they may not exceed: split them, then remove the entry.
# None today (backend/mobile/feed.py, 699 lines, became the package backend/mobile/feed/).
KNOWN_LONG_MODULES: dict[str, int] = {}


# --- the files and their syntax trees -----------------------------------------------------------------------


def _project_files() -> list[Path]:
    """Every Python file of the four packages, migrations excluded (generated, and frozen in time)."""
    files = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.relative_to(ROOT).parts:
                files.append(path)
    return files


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.cache
def _graph() -> grimp.ImportGraph:
    """grimp's import graph of the four packages (with imports inside functions and under TYPE_CHECKING)."""
    return grimp.build_graph(*PACKAGES, cache_dir=None)


@functools.cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _imported_from(path: Path, node: ast.ImportFrom) -> str:
    """The absolute module of `from <module> import ...`, relative imports resolved."""
    if not node.level:
        return node.module or ""
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _is_module_file(module: str) -> bool:
    base = ROOT / Path(*module.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def _imported_modules(path: Path, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The modules an import statement names: `from pkg import mod` names pkg.mod when that is a module."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    source = _imported_from(path, node)
    submodules = [f"{source}.{a.name}" for a in node.names if _is_module_file(f"{source}.{a.name}")]
    return submodules or [source]


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _is_project_module(module: str) -> bool:
    return module.split(".")[0] in PACKAGES


# --- no cycles ----------------------------------------------------------------------------------------------


def _strongly_connected_components(nodes: set[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (no recursion limit whatever the depth of the graph)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for start in sorted(nodes):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            advanced = False
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = counter
                    counter += 1
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(sorted(edges[succ]))))
                    advanced = True
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def _a_cycle_through(start: str, members: set[str], edges: dict[str, set[str]]) -> list[str]:
    """The shortest cycle from `start` back to itself inside one component (breadth first)."""
    previous: dict[str, str] = {}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for succ in sorted(edges[node] & members):
            if succ == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if succ not in previous:
                previous[succ] = node
                queue.append(succ)
    return [start]


def _import_edges(graph: grimp.ImportGraph, nodes: set[str]) -> dict[str, set[str]]:
    """Who imports whom when Python runs the code: grimp's direct imports, plus the packages they run first
    (importing a.b.c runs a/__init__.py and a/b/__init__.py, except the importer's own packages, which are
    already loaded), minus the function-level imports listed in KNOWN_FUNCTION_IMPORTS."""
    known = {
        (_module_name(ROOT / file), module, line)
        for file, module in KNOWN_FUNCTION_IMPORTS
        for found, line, _ in _function_imports(ROOT / file)
        if found == module
    }
    edges: dict[str, set[str]] = {m: set() for m in nodes}
    for importer in nodes:
        for imported in graph.find_modules_directly_imported_by(importer):
            if imported not in nodes:
                continue
            lines = {d["line_number"] for d in graph.get_import_details(importer=importer, imported=imported)}
            if all((importer, imported, line) in known for line in lines):
                continue
            edges[importer].add(imported)
            parts = imported.split(".")
            for i in range(1, len(parts)):
                package = ".".join(parts[:i])
                if package in nodes and not f"{importer}.".startswith(f"{package}."):
                    edges[importer].add(package)
    return edges


def test_no_import_cycles() -> None:
    graph = _graph()
    nodes = {m for m in graph.modules if ".migrations" not in f".{m}."}
    edges = _import_edges(graph, nodes)
    cycles = [c for c in _strongly_connected_components(nodes, edges) if len(c) > 1]

    def describe(component: list[str]) -> str:
        cycle = _a_cycle_through(component[0], set(component), edges)
        steps = []
        for importer, imported in zip(cycle, cycle[1:], strict=False):
            lines = sorted(
                d["line_number"] for d in graph.get_import_details(importer=importer, imported=imported)
            )
            how = f"line {', '.join(map(str, lines))}" if lines else "its __init__ runs first"
            steps.append(f"  {importer} -> {imported} ({how})")
        return f"{len(component)} modules: {', '.join(component)}\n" + "\n".join(steps)

    assert not cycles, "import cycles:\n" + "\n".join(describe(c) for c in cycles)


def _app_of(module: str, apps: list[str]) -> str:
    """The node a module is in for the app graph: the Django app (INSTALLED_APPS) whose package holds it, the
    deepest one; a module in no app belongs to its top-level package (the project package `backend` itself:
    settings, URLs, Celery; or `api`). A folder of backend/ that is no app is part of the project package, so
    it is `backend` that must not form a cycle with the apps."""
    holders = [a for a in apps if module == a or module.startswith(a + ".")]
    return max(holders, key=len) if holders else module.split(".")[0]


def test_no_app_cycles() -> None:
    """An app that uses another is never used by it, indirectly neither, counting every import (inside functions
    too): e.g. backend.access reads the domains' models, so no domain imports backend.access (its scoped reads live
    above it, in backend.reads); and the project package imports apps (its URLs), so no app imports it (what
    they all share is the app backend.common)."""
    apps = [a for a in settings.INSTALLED_APPS if a.split(".")[0] in PACKAGES]
    graph = _graph()
    modules = {m for m in graph.modules if ".migrations" not in f".{m}."}
    edges: dict[str, set[str]] = {}
    why: dict[tuple[str, str], str] = {}
    for importer in modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            a, b = _app_of(importer, apps), _app_of(imported, apps)
            edges.setdefault(a, set())
            edges.setdefault(b, set())
            if a != b and imported in modules:
                edges[a].add(b)
                why.setdefault((a, b), f"{importer} -> {imported}")
    cycles = [c for c in _strongly_connected_components(set(edges), edges) if len(c) > 1]

    def describe(component: list[str]) -> str:
        cycle = _a_cycle_through(component[0], set(component), edges)
        steps = [f"  {a} -> {b} (e.g. {why[(a, b)]})" for a, b in zip(cycle, cycle[1:], strict=False)]
        return f"{len(component)} apps: {', '.join(component)}\n" + "\n".join(steps)

    assert not cycles, "app cycles:\n" + "\n".join(describe(c) for c in cycles)


# --- no imports inside functions ----------------------------------------------------------------------------


def _is_app_ready(path: Path, cls: ast.ClassDef | None, func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """`ready()` of an AppConfig in apps.py: Django's place to register handlers once the apps are loaded."""
    if path.name != "apps.py" or cls is None or func.name != "ready":
        return False
    return any(ast.unparse(base).endswith("AppConfig") for base in cls.bases)


def _function_imports(path: Path) -> Iterator[tuple[str, int, str]]:
    """(module imported, line, enclosing function) of every import nested in a function, ready() aside."""

    def visit(node: ast.AST, cls: ast.ClassDef | None, func: str | None) -> Iterator[tuple[str, int, str]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                yield from visit(child, child if func is None else None, func)
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                if func is None and _is_app_ready(path, cls, child):
                    continue
                yield from visit(child, None, func or child.name)
            elif isinstance(child, ast.Import | ast.ImportFrom):
                if func is not None:
                    for module in _imported_modules(path, child):
                        yield module, child.lineno, func
            else:
                yield from visit(child, cls, func)

    yield from visit(_tree(path), None, None)


def test_no_imports_inside_functions_except_app_ready_and_celery_tasks() -> None:
    """No import inside a function (to dodge a cycle, or to hide a missing module until run time): a missing
    module is a start-up error. Only AppConfig.ready() imports its handlers there (registration, Django's
    idiom); Celery task modules get no exception (they import their services at the top)."""
    found: dict[tuple[str, str], list[str]] = {}
    for path in _project_files():
        for module, line, func in _function_imports(path):
            found.setdefault((_rel(path), module), []).append(
                f"{_rel(path)}:{line} in {func}(): import {module}"
            )
    offenders = [where for key in sorted(found.keys() - KNOWN_FUNCTION_IMPORTS) for where in found[key]]
    stale = sorted(KNOWN_FUNCTION_IMPORTS - found.keys())
    assert not offenders, "imports inside functions (move them to the top of the module):\n" + "\n".join(
        offenders
    )
    assert not stale, f"KNOWN_FUNCTION_IMPORTS lists imports that are gone (remove them): {stale}"


# --- no private names across modules, no import guards, no modules by name ----------------------------------


def _private_imports(path: Path) -> Iterator[tuple[str, int]]:
    """("module.name", line) of each private name this file imports from another module of the project.
    A private *module* imported from inside its own package is fine (the private-modules contract)."""
    importer = _module_name(path)
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.ImportFrom):
            source = _imported_from(path, node)
            if not _is_project_module(source) or source == importer:
                continue
            for alias in node.names:
                if not _is_private(alias.name):
                    continue
                target = f"{source}.{alias.name}"
                if not (_is_module_file(target) and importer.startswith(f"{source}.")):
                    yield target, node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                for i, part in enumerate(parts):
                    parent = ".".join(parts[:i])
                    if (
                        _is_private(part)
                        and _is_project_module(alias.name)
                        and not importer.startswith(f"{parent}.")
                    ):
                        yield alias.name, node.lineno
                        break


def test_no_private_names_imported_across_modules() -> None:
    found: dict[tuple[str, str], list[str]] = {}
    for path in _project_files():
        for target, line in _private_imports(path):
            found.setdefault((_rel(path), target), []).append(f"{_rel(path)}:{line}: imports {target}")
    offenders = [where for key in sorted(found.keys() - KNOWN_PRIVATE_IMPORTS) for where in found[key]]
    stale = sorted(KNOWN_PRIVATE_IMPORTS - found.keys())
    assert not offenders, "private names imported from another module (make them public):\n" + "\n".join(
        offenders
    )
    assert not stale, f"KNOWN_PRIVATE_IMPORTS lists imports that are gone (remove them): {stale}"


_IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError"}
_BY_NAME = {"import_module", "__import__", "find_spec", "import_string"}


def test_no_import_error_guards_and_no_modules_looked_up_by_name() -> None:
    """A missing module is a start-up error: no `except ImportError`, and no module or router found by its
    name at run time (Django's settings strings and Celery's autodiscovery are the frameworks' own, not
    ours)."""
    offenders = []
    for path in _project_files():
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.ExceptHandler) and node.type is not None:
                caught = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
                if any(ast.unparse(exc).split(".")[-1] in _IMPORT_ERRORS for exc in caught):
                    offenders.append(f"{_rel(path)}:{node.lineno}: except {ast.unparse(node.type)}")
            elif isinstance(node, ast.Call):
                name = ast.unparse(node.func).split(".")[-1]
                if name in _BY_NAME:
                    offenders.append(f"{_rel(path)}:{node.lineno}: {ast.unparse(node.func)}(...)")
            elif isinstance(node, ast.ImportFrom) and node.module == "importlib":
                offenders.append(f"{_rel(path)}:{node.lineno}: from importlib import ...")
    assert not offenders, "import guards or imports by name:\n" + "\n".join(offenders)


# --- module size --------------------------------------------------------------------------------------------


def test_no_module_over_500_lines() -> None:
    """Project code only (tests and migrations aside). A listed module may not grow past its recorded length,
    and leaves the list once it is within the limit (or gone)."""
    lengths = {_rel(p): len(p.read_text(encoding="utf-8").splitlines()) for p in _project_files()}
    too_long = [
        f"{name} ({n} lines"
        + (f", listed at {KNOWN_LONG_MODULES[name]})" if name in KNOWN_LONG_MODULES else ")")
        for name, n in sorted(lengths.items())
        if n > MAX_MODULE_LINES and n > KNOWN_LONG_MODULES.get(name, 0)
    ]
    done = sorted(name for name in KNOWN_LONG_MODULES if lengths.get(name, 0) <= MAX_MODULE_LINES)
    assert not too_long, f"modules over {MAX_MODULE_LINES} lines (split them): " + ", ".join(too_long)
    assert not done, (
        f"KNOWN_LONG_MODULES lists modules within {MAX_MODULE_LINES} lines or gone (remove them): {done}"
    )


# --- import-linter, and access's own rule -------------------------------------------------------------------


def test_import_contracts_hold() -> None:
    """The [tool.importlinter] contracts of pyproject.toml, so that `pytest` alone checks them too."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, f"lint-imports failed:\n{run.stdout}\n{run.stderr}"


def test_access_imports_only_models() -> None:
    """backend.access (who may see what) reads domain models, the user's scope (backend.accounts.scope: their
    roles, read once) and its own modules, nothing else of the project: the whitelist behind the import-linter
    contract access-reads-models (which can only name what is forbidden)."""
    graph = _graph()
    access = {"backend.access", *graph.find_descendants("backend.access"), "backend.accounts.scope"}
    offenders = sorted(
        f"{importer} -> {imported}"
        for importer in access
        for imported in graph.find_modules_directly_imported_by(importer)
        if imported not in access and not imported.endswith(".models")
    )
    assert not offenders, "backend.access imports more than models:\n" + "\n".join(offenders)


# --- events -------------------------------------------------------------------------------------------------


def test_every_recovery_event_has_a_subscriber() -> None:
    """pytest-django sets Django up before the tests run: every app's ready() has registered its handlers."""
    event_types = [
        cls
        for _, cls in inspect.getmembers(recovery_events, inspect.isclass)
        if cls.__module__ == recovery_events.__name__ and dataclasses.is_dataclass(cls)
    ]
    assert event_types, "backend/recovery/events.py defines no event"
    orphans = [cls.__name__ for cls in event_types if not events.subscribers(cls)]
    assert not orphans, (
        f"recovery events nobody reacts to (subscribe a handler, registered in ready()): {orphans}"
    )
