"""BAP001, pytest fixtures as evidence: a test's parameter with no annotation stands for the
fixture of that name (the test's module first, then each ``conftest.py`` from the test's folder
up to the project root, as pytest looks them up), and has the fixture's model when the fixture
says which: by its return annotation (``-> Agent``, ``-> Iterator[Agent]``) or by every value
it returns or yields being evidence already (``Agent(...)``, ``session.get(Agent, 1)``, a
query's result). No evidence, no model. Stdlib only.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Protocol

from ....project import FileView, ModelInfo
from ..._files import read_source
from ...registry import SourceFile

Function = ast.FunctionDef | ast.AsyncFunctionDef
Lookup = Callable[[str], ModelInfo | None]


class Typed(Protocol):
    """What ``_refs.collect_types`` gives: the model a value stands for (evidence)."""

    def source(self, node: ast.expr) -> tuple[ModelInfo | None, ModelInfo | None]: ...


CollectTypes = Callable[[Function, FileView, Lookup], Typed]
_GENERATORS = frozenset({"Generator", "Iterator", "AsyncGenerator", "AsyncIterator", "Iterable"})
_DECORATORS = frozenset({"fixture", "yield_fixture"})
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_DISK: dict[str, tuple[int, int, ast.Module | None]] = {}  # conftest.py read from disk


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def fixture_name(fn: Function) -> str | None:
    """The name a ``@pytest.fixture`` (``@fixture``, ``@pytest_asyncio.fixture``) gives
    ``fn``; None when it is not a fixture."""
    for deco in fn.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        if _dotted(target).rpartition(".")[2] not in _DECORATORS:
            continue
        if isinstance(deco, ast.Call):
            for kw in deco.keywords:
                if (
                    kw.arg == "name"
                    and isinstance(kw.value, ast.Constant)
                    and isinstance(kw.value.value, str)
                ):
                    return kw.value.value
        return fn.name
    return None


def module_fixtures(tree: ast.Module) -> dict[str, Function]:
    """The fixtures a module defines at its top level, by name (a later one wins)."""
    out: dict[str, Function] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            name = fixture_name(node)
            if name is not None:
                out[name] = node
    return out


def uses_fixtures(fn: Function) -> bool:
    """A test (``test*``, as pytest collects them) or a fixture: its parameters are fixtures."""
    return fn.name.startswith("test") or fixture_name(fn) is not None


def _own_values(fn: Function) -> Iterator[ast.expr | None]:
    """What ``fn`` itself returns or yields (not its nested functions)."""
    todo: list[ast.AST] = list(fn.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Return | ast.Yield):
            yield node.value
        elif isinstance(node, ast.YieldFrom):
            yield node  # a value from elsewhere: no evidence
        if not isinstance(
            node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda
        ):
            todo.extend(ast.iter_child_nodes(node))


class Fixtures:
    """The fixtures one file's tests can use, nearest scope first, each with the view of the
    file that defines it; called with a name, the model of that fixture's value or None."""

    def __init__(
        self, scopes: list[tuple[dict[str, Function], FileView]], collect: CollectTypes
    ) -> None:
        self.scopes = scopes
        self.collect = collect
        self.memo: dict[tuple[int, str], ModelInfo | None] = {}

    def __call__(self, name: str) -> ModelInfo | None:
        return self.lookup(0, name)

    def lookup(self, start: int, name: str) -> ModelInfo | None:
        for index in range(start, len(self.scopes)):
            fn = self.scopes[index][0].get(name)
            if fn is not None:
                key = (index, name)
                if key not in self.memo:
                    self.memo[key] = None  # a fixture that needs itself has no evidence
                    self.memo[key] = self._model(index, name, fn)
                return self.memo[key]
        return None

    def named(self, words: set[str]) -> bool:
        """Whether one of ``words`` is a fixture whose value is a model."""
        names = {n for fns, _ in self.scopes for n in fns if n in words}
        return any(self(n) is not None for n in names)

    def _model(self, index: int, name: str, fn: Function) -> ModelInfo | None:
        view = self.scopes[index][1]
        annotated = _annotated(fn.returns, view)
        if annotated is not None:
            return annotated

        def params(param: str) -> ModelInfo | None:  # a fixture sees its scope and those above
            return self.lookup(index + 1 if param == name else index, param)

        types = self.collect(fn, view, params)
        found: dict[str, ModelInfo] = {}
        for value in _own_values(fn):
            if value is None or (isinstance(value, ast.Constant) and value.value is None):
                continue
            model = _value_model(value, types, view)
            if model is None:
                return None
            found[model.qualname] = model
        return next(iter(found.values())) if len(found) == 1 else None


def _orm(name: str, view: FileView) -> ModelInfo | None:
    info = view.classes.get(name) or view.classes.get(name.rpartition(".")[2])
    return info if info is not None and (info.orm or info.orm_mixin) else None


def _annotated(node: ast.expr | None, view: FileView) -> ModelInfo | None:
    """``-> Agent``, ``-> "Agent"``, ``-> Iterator[Agent]``, ``-> Generator[Agent, ...]``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            node = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return None
    if isinstance(node, ast.Subscript):
        if _dotted(node.value).rpartition(".")[2] not in _GENERATORS:
            return None
        inner = node.slice.elts[0] if isinstance(node.slice, ast.Tuple) else node.slice
        return _annotated(inner, view)
    if isinstance(node, ast.Name | ast.Attribute):
        return _orm(_dotted(node), view)
    return None


def _value_model(value: ast.expr, types: Typed, view: FileView) -> ModelInfo | None:
    """The model of a returned value: evidence as anywhere (``Agent(...)``, a name typed in
    the fixture, ``session.get(Agent, 1)``...), or ``Agent.create(...)``: a model's own
    constructor method, as fixtures build rows."""
    if isinstance(value, ast.Await):
        value = value.value
    one = types.source(value)[0]
    if one is not None:
        return one
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr == "create"
    ):
        return _orm(_dotted(value.func.value), view)
    return None


def fixtures_for(
    source: SourceFile,
    view: FileView,
    others: Mapping[str, SourceFile],
    root: Path | None,
    view_of: Callable[[str, ast.Module], FileView],
    collect: CollectTypes,
) -> Fixtures | None:
    """The fixtures ``source``'s tests can use: its own, then those of each ``conftest.py``
    from its folder up to ``root`` (a checked text, else the file on disk when ``root`` is
    known; without a root, only the checked texts), each module followed by the modules its
    ``pytest_plugins`` names (below ``root``)."""
    scopes: list[tuple[dict[str, Function], FileView]] = []
    here = os.path.abspath(source.path)
    top = None if root is None else str(root)

    def add(path: str, tree: ast.Module, file_view: FileView | None = None) -> None:
        fixtures = module_fixtures(tree)
        if fixtures:
            scopes.append((fixtures, file_view or view_of(path, tree)))
        for module in _plugins(tree) if top is not None else []:
            for candidate in _module_files(module, top or ""):
                plugin = _conftest(candidate, others, top)
                if plugin is not None:
                    found = module_fixtures(plugin)
                    if found:
                        scopes.append((found, view_of(candidate, plugin)))
                    break

    add(here, source.tree, view)
    folder = os.path.dirname(here)
    for _ in range(64):
        conftest = os.path.join(folder, "conftest.py")
        if conftest != here:
            tree = _conftest(conftest, others, top)
            if tree is not None:
                add(conftest, tree)
        parent = os.path.dirname(folder)
        if parent == folder or (top is not None and folder == top):
            break
        folder = parent
    return Fixtures(scopes, collect) if scopes else None


def _plugins(tree: ast.Module) -> list[str]:
    """The modules ``pytest_plugins = [...]`` (or one string) names at the top level."""
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == "pytest_plugins"
        ):
            value = node.value
            items = value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
            return [
                i.value for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)
            ]
    return []


def _module_files(module: str, top: str) -> list[str]:
    """Where the module ``a.b`` lies below ``top``: ``a/b.py`` or ``a/b/__init__.py``."""
    if not all(part.isidentifier() for part in module.split(".")):
        return []
    base = os.path.join(top, *module.split("."))
    return [base + ".py", os.path.join(base, "__init__.py")]


def _conftest(path: str, others: Mapping[str, SourceFile], top: str | None) -> ast.Module | None:
    given = others.get(path)
    if given is not None:
        return given.tree
    if top is None or not path.startswith(os.path.join(top, "")):
        return None
    try:
        info = os.stat(path)
    except OSError:
        return None
    cached = _DISK.get(path)
    if cached is not None and cached[:2] == (info.st_size, info.st_mtime_ns):
        return cached[2]
    tree: ast.Module | None = None
    try:
        text = read_source(Path(path))
        if isinstance(text, str):
            tree = ast.parse(text, path)
    except (OSError, SyntaxError, ValueError, RecursionError):
        tree = None
    if len(_DISK) > 256:
        _DISK.clear()
    _DISK[path] = (info.st_size, info.st_mtime_ns, tree)
    return tree
