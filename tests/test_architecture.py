"""The import architecture, checked from the source: who may import whom, no circles, and a hot
path that stays light.

The engine (plain functions) knows no front end; a front end calls the engine and never another
front end; ``_console`` is the front ends' kit; ``program`` routes ``bap <subcommand>`` to the
front end that owns it, by name. Every import counts, inside functions too (they run when the
function does), except those under ``if TYPE_CHECKING:``. Whether the hot path stays light is
checked by running it, because some function-level imports are lazy on purpose.

To add a package or top-level module, add its name to one group below.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import itertools
import json
import os
import subprocess
import sys
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = "backend_patterns"
SRC = Path(__file__).resolve().parents[1] / "src" / PACKAGE

# Each top-level module or subpackage of the package, by group ("__init__" is the package's own).
ENGINE = {
    "__init__",
    "pack",
    "triggers",
    "match",
    "render",
    "lint",
    "project",
    "scaffold",
    "errors",
    "inflect",
    "_fs",
}
FRONT_ENDS = {"cli", "hooks", "mcp", "install"}
KIT = {"_console"}  # the front ends' shared terminal helpers
LAUNCHER = {"program", "__main__"}

# What each group must never import (a front end: also every other front end).
FORBIDDEN = {
    "engine": FRONT_ENDS | KIT | LAUNCHER,
    "front end": LAUNCHER,
    "kit": FRONT_ENDS | LAUNCHER,
}

# The hot path, run for real: neither command may load any of these (top-level names).
HEAVY = {
    "fastapi",
    "sqlalchemy",
    "pydantic",
    "jinja2",
    "mcp",
    "mcp_types",
    "starlette",
    "uvicorn",
    "yaml",
    "jsonschema",
    "libcst",
    "tomlkit",
}
HOT_PATHS = {
    "bap suggest": (["suggest", "add a websocket endpoint for chat"], None),
    "bap hook prompt": (
        ["hook", "prompt"],
        {"hook_event_name": "UserPromptSubmit", "prompt": "add a websocket endpoint for chat"},
    ),
}


# ---- reading the imports ------------------------------------------------------------------------


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    path: str  # relative to the package folder
    line: int
    lazy: bool  # inside a function

    def where(self) -> str:
        return f"{self.path}:{self.line}{' (in a function)' if self.lazy else ''}"


def modules_of(src: Path, package: str) -> dict[str, Path]:
    """Every module of the package by dotted name; a package's name is its ``__init__``."""
    found = {}
    for path in sorted(src.rglob("*.py")):
        parts = path.relative_to(src).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join((package, *parts))] = path
    return found


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Imports(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool, known: set[str], package: str) -> None:
        self.module, self.known, self.package = module, known, package
        self.here = module.split(".") if is_package else module.split(".")[:-1]
        self.depth = 0
        self.found: list[tuple[str, int, bool]] = []

    def _add(self, target: str, node: ast.stmt) -> None:
        if target == self.package or target.startswith(self.package + "."):
            self.found.append((target, node.lineno, self.depth > 0))

    def visit_If(self, node: ast.If) -> None:
        if not _type_checking(node.test):
            self.visit(node.test)
            for child in node.body:
                self.visit(child)
        for child in node.orelse:
            self.visit(child)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.here[: len(self.here) - node.level + 1]
            base_name = ".".join(base + ([node.module] if node.module else []))
        else:
            base_name = node.module or ""
        for alias in node.names:
            submodule = f"{base_name}.{alias.name}"
            self._add(submodule if submodule in self.known else base_name, node)


def import_edges(src: Path, package: str) -> list[Edge]:
    modules = modules_of(src, package)
    known = set(modules)
    edges = []
    for name, path in modules.items():
        visitor = _Imports(name, path.name == "__init__.py", known, package)
        visitor.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        rel = path.relative_to(src).as_posix()
        edges += [Edge(name, t, rel, line, lazy) for t, line, lazy in visitor.found]
    return list(dict.fromkeys(edges))  # one edge per import statement and target


def group_of(module: str, package: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def kind_of(group: str) -> str | None:
    for kind, members in (
        ("engine", ENGINE),
        ("front end", FRONT_ENDS),
        ("kit", KIT),
        ("launcher", LAUNCHER),
    ):
        if group in members:
            return kind
    return None


# ---- circles ------------------------------------------------------------------------------------


def _components(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components (Tarjan), iteratively."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[set[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
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
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                out.append(component)
    return out


def _shortest(graph: dict[str, set[str]], start: str, goal: str, inside: set[str]) -> list[str]:
    previous: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            path = []
            step: str | None = node
            while step is not None:
                path.append(step)
                step = previous[step]
            return path[::-1]
        for child in sorted(graph[node] & inside):
            if child not in previous:
                previous[child] = node
                queue.append(child)
    raise AssertionError("no path inside a strongly connected component")


def import_cycles(edges: list[Edge]) -> list[list[Edge]]:
    """Circles, each as its edges: for every import that is part of a circle, the shortest
    circle through it (so fixing what is reported removes every circle)."""
    graph: dict[str, set[str]] = {}
    first: dict[tuple[str, str], Edge] = {}
    for e in edges:
        graph.setdefault(e.source, set()).add(e.target)
        graph.setdefault(e.target, set())
        first.setdefault((e.source, e.target), e)
    cycles: dict[tuple[str, ...], list[Edge]] = {}
    for component in _components(graph):
        for source in sorted(component):
            for target in sorted(graph[source] & component):
                loop = [source, *_shortest(graph, target, source, component)]
                nodes = loop[:-1]
                turn = nodes.index(min(nodes))
                key = tuple(nodes[turn:] + nodes[:turn])
                if key not in cycles:
                    ring = [*key, key[0]]
                    cycles[key] = [first[(a, b)] for a, b in itertools.pairwise(ring)]
    return [cycles[k] for k in sorted(cycles)]


def describe_cycle(cycle: list[Edge]) -> str:
    steps = [cycle[0].source] + [f"-> {e.target}  [{e.where()}]" for e in cycle]
    return "\n    ".join(steps)


def violations(edges: list[Edge], package: str) -> list[str]:
    """Imports across groups that the layering forbids, one line each."""
    found = []
    for e in edges:
        source, target = group_of(e.source, package), group_of(e.target, package)
        kind = kind_of(source)
        if kind is None or source == target:
            continue
        banned = set(FORBIDDEN.get(kind, set()))
        if kind == "front end":
            banned |= FRONT_ENDS - {source}
        if target in banned:
            what = kind_of(target) or "unknown"
            found.append(f"{e.source} ({kind}) imports {e.target} ({what})  [{e.where()}]")
    return found


# ---- the checks on this package ----------------------------------------------------------------


@pytest.fixture(scope="module")
def edges() -> list[Edge]:
    return import_edges(SRC, PACKAGE)


def test_every_module_belongs_to_a_group() -> None:
    loose = sorted(m for m in modules_of(SRC, PACKAGE) if kind_of(group_of(m, PACKAGE)) is None)
    assert loose == [], "add these to a group at the top of test_architecture.py: " + ", ".join(
        loose
    )


def test_no_import_circles(edges: list[Edge]) -> None:
    cycles = import_cycles(edges)
    report = "\n".join(f"  circle {i}:\n    {describe_cycle(c)}" for i, c in enumerate(cycles, 1))
    assert not cycles, f"{len(cycles)} import circle(s) between our modules:\n{report}"


def test_the_engine_imports_no_front_end(edges: list[Edge]) -> None:
    engine = [e for e in edges if kind_of(group_of(e.source, PACKAGE)) == "engine"]
    found = violations(engine, PACKAGE)
    assert not found, "the engine imports a front end:\n  " + "\n  ".join(found)


def test_front_ends_and_the_kit_import_no_other_front_end(edges: list[Edge]) -> None:
    outer = [e for e in edges if kind_of(group_of(e.source, PACKAGE)) in {"front end", "kit"}]
    found = violations(outer, PACKAGE)
    assert not found, "a front end imports another front end:\n  " + "\n  ".join(found)


def test_program_routes_every_subcommand_to_a_front_end_module_with_run() -> None:
    from backend_patterns.program import COMMANDS

    assert COMMANDS
    for command, (module_name, help_) in COMMANDS.items():
        assert help_, command
        assert kind_of(group_of(module_name, PACKAGE)) == "front end", (command, module_name)
        module = importlib.import_module(module_name)
        run = getattr(module, "run", None)
        assert callable(run), f"{module_name} (bap {command}) has no run()"
        assert list(inspect.signature(run).parameters) == ["command", "argv", "help_"], command


PROBE = """
import json, sys
from backend_patterns.program import main
code = main(json.loads(sys.argv[1]))
sys.stdout.flush()
with open(sys.argv[2], "w") as out:
    json.dump({"code": code, "modules": sorted(sys.modules)}, out)
"""


@pytest.mark.parametrize("name", HOT_PATHS)
def test_the_hot_path_loads_nothing_heavy(name: str, tmp_path: Path) -> None:
    argv, payload = HOT_PATHS[name]
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "BAP_PACK"}}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    if payload is not None:
        payload = {"cwd": str(tmp_path), **payload}
    report = tmp_path / "report.json"
    for _ in ("cold, to warm the pack cache", "warm"):
        done = subprocess.run(
            [sys.executable, "-c", PROBE, json.dumps(argv), str(report)],
            input=json.dumps(payload) if payload is not None else "",
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    result = json.loads(report.read_text())
    assert result["code"] == 0, done.stderr
    assert "websocket_handler" in done.stdout, (done.stdout, done.stderr)  # it did the work
    assert any((tmp_path / "cache").rglob("*")), "the pack cache was not written"
    heavy = sorted(m for m in result["modules"] if m.split(".")[0] in HEAVY)
    assert heavy == [], f"{name} loads heavy modules on a warm cache: {heavy}"


# ---- the checker itself, on a package made for it -----------------------------------------------


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / "toy" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "toy"


def test_the_checker_finds_circles_through_inits_functions_and_submodule_imports(
    tmp_path: Path,
) -> None:
    src = _write(
        tmp_path,
        {
            "__init__.py": "",
            "pack/__init__.py": "from ._parse import parse\n",
            "pack/_parse.py": "def parse():\n    from . import CONST\n",  # back to the __init__
            "pack/_util.py": "",
            "match/__init__.py": "from . import _prep\n",  # a submodule, not the __init__
            "match/_prep.py": "from ..pack import _util\nfrom ..cli import run\n",
            "cli/__init__.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from ..match import _prep\n"  # not an import at run time
                "def run():\n    import toy.hooks\n"
            ),
            "hooks/__init__.py": "from .. import match\n",
        },
    )
    edges = import_edges(src, "toy")
    pairs = {(e.source, e.target) for e in edges}
    assert ("toy.match", "toy.match._prep") in pairs
    assert ("toy.match._prep", "toy.pack._util") in pairs
    assert ("toy.cli", "toy.match._prep") not in pairs
    assert next(e for e in edges if e.target == "toy.hooks").lazy
    cycles = [[e.source for e in c] for c in import_cycles(edges)]
    assert cycles == [
        ["toy.cli", "toy.hooks", "toy.match", "toy.match._prep"],
        ["toy.pack", "toy.pack._parse"],
    ]
    text = describe_cycle(import_cycles(edges)[1])
    assert text.splitlines()[0] == "toy.pack"
    assert "-> toy.pack  [pack/_parse.py:2 (in a function)]" in text
    found = violations(edges, "toy")
    assert found == [
        "toy.cli (front end) imports toy.hooks (front end)  [cli/__init__.py:5 (in a function)]",
        "toy.match._prep (engine) imports toy.cli (front end)  [match/_prep.py:2]",
    ]
