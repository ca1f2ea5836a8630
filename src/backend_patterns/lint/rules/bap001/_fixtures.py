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
# what a fixture's value is: a model's instance, a tuple of such shapes, or unknown (None)
Shape = ModelInfo | tuple["Shape", ...] | None
Lookup = Callable[[str], Shape]


class Typed(Protocol):
    """What ``_refs.collect_types`` gives: the model a value stands for (evidence)."""

    def source(self, node: ast.expr) -> tuple[ModelInfo | None, ModelInfo | None]: ...


CollectTypes = Callable[[Function, FileView, Lookup], Typed]
_TUPLES = frozenset({"tuple", "Tuple"})
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
    file that defines it; called with a name, the shape of that fixture's value (a model, a
    tuple of shapes) or None."""

    def __init__(
        self, scopes: list[tuple[dict[str, Function], FileView]], collect: CollectTypes
    ) -> None:
        self.scopes = scopes
        self.collect = collect
        self.memo: dict[tuple[int, str], Shape] = {}

    def __call__(self, name: str) -> Shape:
        return self.lookup(0, name)

    def lookup(self, start: int, name: str) -> Shape:
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
        """Whether one of ``words`` is a fixture whose value is (or holds) a model."""
        names = {n for fns, _ in self.scopes for n in fns if n in words}
        return any(self(n) is not None for n in names)

    def _model(self, index: int, name: str, fn: Function) -> Shape:
        def params(param: str) -> Shape:  # a fixture sees its scope and those above
            return self.lookup(index + 1 if param == name else index, param)

        return fixture_shape(fn, self.scopes[index][1], params, self.collect)


def fixture_shape(fn: Function, view: FileView, params: Lookup, collect: CollectTypes) -> Shape:
    """What the fixture ``fn`` gives: its return annotation's model (or tuple of models), else
    the one shape every value it returns or yields has; ``params`` gives its parameters'."""
    annotated = _annotated(fn.returns, view)
    if annotated is not None:
        return annotated
    types = collect(fn, view, params)
    found: dict[object, Shape] = {}
    for value in _own_values(fn):
        if value is None or (isinstance(value, ast.Constant) and value.value is None):
            continue
        shape = _value_shape(value, types, view)
        if shape is None:
            return None
        found[_key(shape)] = shape
    return next(iter(found.values())) if len(found) == 1 else None


def _key(shape: Shape) -> object:
    if isinstance(shape, tuple):
        return tuple(_key(s) for s in shape)
    return None if shape is None else shape.qualname


def _known(shape: Shape) -> Shape:
    """``shape``, or None when no model is in it."""
    if isinstance(shape, tuple):
        return shape if any(_known(s) is not None for s in shape) else None
    return shape


def _value_shape(value: ast.expr, types: Typed, view: FileView) -> Shape:
    """A returned value's shape: a model (``_value_model``) or a tuple literal of shapes."""
    if isinstance(value, ast.Tuple):
        if any(isinstance(e, ast.Starred) for e in value.elts):
            return None
        return _known(tuple(_value_shape(e, types, view) for e in value.elts))
    return _value_model(value, types, view)


class ClassFixtures:
    """The fixtures of a test class (its methods), before those its module can use."""

    def __init__(
        self, fns: dict[str, Function], view: FileView, outer: Lookup, collect: CollectTypes
    ) -> None:
        self.fns = fns
        self.view = view
        self.outer = outer
        self.collect = collect
        self.memo: dict[str, Shape] = {}

    def __call__(self, name: str) -> Shape:
        fn = self.fns.get(name)
        if fn is None:
            return self.outer(name)
        if name not in self.memo:
            self.memo[name] = None  # a fixture that needs itself has no evidence

            def params(param: str) -> Shape:
                return self.outer(param) if param == name else self(param)

            self.memo[name] = fixture_shape(fn, self.view, params, self.collect)
        return self.memo[name]


def class_fixtures(
    cls: ast.ClassDef, view: FileView, outer: Lookup, collect: CollectTypes
) -> ClassFixtures | None:
    """``ClassFixtures`` of ``cls``; None when it defines no fixture."""
    fns: dict[str, Function] = {}
    for node in cls.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.decorator_list:
            name = fixture_name(node)
            if name is not None:
                fns[name] = node
    return ClassFixtures(fns, view, outer, collect) if fns else None


def _orm(name: str, view: FileView) -> ModelInfo | None:
    info = view.classes.get(name)
    if info is None and "." in name:
        info = view.classes.get(name.rpartition(".")[2])
    return info if info is not None and (info.orm or info.orm_mixin) else None


def _annotated(node: ast.expr | None, view: FileView) -> Shape:
    """``-> Agent``, ``-> "Agent"``, ``-> Iterator[Agent]``, ``-> Generator[Agent, ...]``,
    ``-> tuple[Agent, int]``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            node = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return None
    if isinstance(node, ast.Subscript):
        head = _dotted(node.value).rpartition(".")[2]
        if head in _TUPLES and isinstance(node.slice, ast.Tuple):
            elts = node.slice.elts
            if any(isinstance(e, ast.Constant) and e.value is Ellipsis for e in elts):
                return None  # tuple[Agent, ...]: a collection
            return _known(tuple(_annotated(e, view) for e in elts))
        if head not in _GENERATORS:
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
