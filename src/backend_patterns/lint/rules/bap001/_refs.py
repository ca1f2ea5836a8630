"""BAP001, part 2: which expressions stand for a JSON column's value, and the state a
function's walk carries (pending changes, aliases, objects not yet flushed or no longer in a
session). A receiver counts only with evidence that it is an instance of an ORM model with that
JSON attribute (an annotation, a query's result, a constructor call, ``self`` in the model), as
the project model (``backend_patterns.project``) resolves its names. Stdlib only.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from ....project import FileView, ModelInfo
from ._fixtures import Lookup, Shape, uses_fixtures
from ._walk import child_statements, text, walk

_NESTED_GETTERS = frozenset({"get", "setdefault"})
_ONE = frozenset(
    {
        "first",
        "one",
        "one_or_none",
        "scalar_one",
        "scalar_one_or_none",
        "scalar",
        "get",
        "get_or_404",
        "first_or_404",
        "one_or_404",
        "merge",
        "refresh",
    }
)
_MANY = frozenset({"all", "scalars", "fetchall"})
_NAMED = (ast.Name, ast.Attribute)
_SOURCES = frozenset({"select", "query", "get", "get_or_404", "scalars", "scalar"})
_CONTAINERS = frozenset(
    {"list", "List", "Sequence", "Iterable", "set", "Set", "tuple", "Iterator"}
)


@dataclass(frozen=True, slots=True)
class Ref:
    """An object that is, or is inside, the value of ``recv.attr`` (a JSON column)."""

    recv: str
    attr: str
    nested: bool  # inside the column's value, not the value itself
    shallow: bool = False  # a shallow copy: only changes below the top level reach the column
    tracked: frozenset[str] = frozenset()  # the methods a Mutable type tracks at the top level
    fresh_keys: frozenset[str] = frozenset()  # keys of a shallow copy given new values


@dataclass(frozen=True, slots=True)
class Mutation:
    node: ast.AST
    ref: Ref
    how: str
    stmt: ast.stmt | None = None
    detached: str | None = None  # why the object is not in a session (copied, expunged, ...)


@dataclass(frozen=True, slots=True)
class Unsaved:
    mutation: Mutation
    end: str  # "the commit on line 12", "the end of the function"


@dataclass(slots=True)
class State:
    """What is true at one point of a function: pending changes, aliases, new objects."""

    pending: dict[int, Mutation] = field(default_factory=dict)
    aliases: dict[str, Ref] = field(default_factory=dict)
    fresh: set[str] = field(default_factory=set)  # objects built here, not yet flushed
    assigned: set[tuple[str, str]] = field(default_factory=set)  # recv.attr = new value
    detached: dict[str, str] = field(default_factory=dict)  # recv -> why
    # recv.attr = a shallow copy of its value: top-level changes after it are saved (the
    # loaded value stays as it was), nested ones are not (the copy shares them)
    copied: set[tuple[str, str]] = field(default_factory=set)

    def copy(self) -> State:
        return State(
            dict(self.pending),
            dict(self.aliases),
            set(self.fresh),
            set(self.assigned),
            dict(self.detached),
            set(self.copied),
        )


def merge(*states: State | None) -> State | None:
    live = [s for s in states if s is not None]
    if not live:
        return None
    out = live[0].copy()
    for other in live[1:]:
        out.pending.update(other.pending)
        out.aliases.update(other.aliases)
        out.fresh &= other.fresh
        out.assigned &= other.assigned
        out.copied &= other.copied
        out.detached.update(other.detached)
    return out


def _strip(node: ast.expr | None) -> ast.expr | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            node = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        parts = [node.left, node.right]
        kept = [p for p in parts if not (isinstance(p, ast.Constant) and p.value is None)]
        return _strip(kept[0]) if len(kept) == 1 else None
    if isinstance(node, ast.Subscript) and _dotted(node.value) in {"Optional", "typing.Optional"}:
        return _strip(node.slice)
    return node


def _dotted(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return None if head is None else f"{head}.{node.attr}"
    return None


_MEMO: list[tuple[FileView, dict[str, ModelInfo | None]]] = []


def _memo(view: FileView) -> dict[str, ModelInfo | None]:
    """The ORM classes the names written in one file stand for, looked up once per file (the
    files of a run are checked one after the other)."""
    if _MEMO and _MEMO[0][0] is view:
        return _MEMO[0][1]
    memo: dict[str, ModelInfo | None] = {}
    _MEMO[:] = [(view, memo)]
    return memo


class Types:
    """The ORM classes the names of one function stand for: ``one[name]`` an instance,
    ``many[name]`` a collection of instances."""

    def __init__(self, view: FileView, outer: Types | None = None) -> None:
        self.view = view
        self.models = _memo(view)
        self._query_memo: dict[int, ModelInfo | None] = {}
        self.one: dict[str, ModelInfo] = dict(outer.one) if outer else {}
        self.many: dict[str, ModelInfo] = dict(outer.many) if outer else {}
        self.queries: dict[str, ModelInfo] = dict(outer.queries) if outer else {}
        self.tuples: dict[str, tuple[Shape, ...]] = dict(outer.tuples) if outer else {}
        self.dicts: dict[str, ModelInfo] = dict(outer.dicts) if outer else {}  # TypedDicts

    def model(self, node: ast.expr | None) -> ModelInfo | None:
        name = _dotted(node)
        if name is None:
            return None
        if name in self.models:
            return self.models[name]
        info = self.view.classes.get(name)
        if info is None and "." in name:
            info = self.view.classes.get(name.rpartition(".")[2])
        found = info if info is not None and (info.orm or info.orm_mixin) else None
        self.models[name] = found
        return found

    def related(self, node: ast.Attribute) -> ModelInfo | None:
        base = node.value
        info = self.one.get(base.id) if isinstance(base, ast.Name) else None
        if isinstance(base, ast.Attribute):
            info = self.related(base)
        if info is None or node.attr not in info.rel_targets:
            return None
        target = self.view.models.get(info.rel_targets[node.attr])
        return target if target is not None and target.orm else None

    def annotation(self, node: ast.expr | None) -> tuple[ModelInfo | None, ModelInfo | None]:
        """(one, many) for an annotation: ``M``, ``"M"``, ``M | None``, ``list[M]``."""
        node = _strip(node)
        if isinstance(node, ast.Subscript):
            head = (_dotted(node.value) or "").rpartition(".")[2]
            if head in _CONTAINERS:
                inner = node.slice.elts[0] if isinstance(node.slice, ast.Tuple) else node.slice
                return None, self.model(_strip(inner))
            return None, None
        return self.model(node), None

    def source(self, node: ast.expr) -> tuple[ModelInfo | None, ModelInfo | None]:
        """(one, many) for a value: ``M(...)``, ``session.get(M, id)``, a query's result, a
        function of the project annotated ``-> M | None``, a TypedDict's key holding one."""
        if isinstance(node, ast.Await):
            node = node.value
        if isinstance(node, ast.Name):
            return self.one.get(node.id), self.many.get(node.id)
        if isinstance(node, ast.Subscript):
            return self._item(node), None
        if isinstance(node, ast.Attribute):  # `holder.owner`: a relationship to one model
            return self.related(node), None
        if not isinstance(node, ast.Call):
            return None, None
        func = node.func
        model = self.model(func)
        if model is not None:
            return model, None
        returns = self.view.returns
        if returns is not None and func.__class__ in _NAMED:
            name = _dotted(func)
            returned = None if name is None else returns.get(name)
            if returned is not None and returned[0].orm:  # a getter annotated `-> M | None`
                return (None, returned[0]) if returned[1] else (returned[0], None)
        if (
            (_dotted(func) or "").rpartition(".")[2] in {"copy", "deepcopy"}
            and len(node.args) == 1
            and isinstance(node.args[0], ast.Name)
        ):
            return self.one.get(node.args[0].id), None
        if not isinstance(func, ast.Attribute) and not isinstance(func, ast.Name):
            return None, None
        name = func.attr if isinstance(func, ast.Attribute) else func.id
        if name in {"get", "get_or_404", "merge", "refresh"} and node.args:
            found = self.model(node.args[0])
            if found is not None:
                return found, None
            if name in {"merge", "refresh"}:
                return self.source(node.args[0])
        model = self._queried(node)
        if model is None:
            return None, None
        if name in _ONE:
            return model, None
        if name in _MANY:
            return None, model
        return None, None

    def _item(self, node: ast.Subscript) -> ModelInfo | None:
        """``output["agent"]`` where ``output`` is a TypedDict whose key holds a model."""
        value, key = node.value, node.slice
        typed = self.dicts.get(value.id) if isinstance(value, ast.Name) else None
        returns = self.view.returns
        if typed is None or returns is None or not isinstance(key, ast.Constant):
            return None
        return returns.item(typed, key.value) if isinstance(key.value, str) else None

    def typed_dict(self, node: ast.expr) -> ModelInfo | None:
        """The TypedDict a call of a function of the project returns (its annotation)."""
        if isinstance(node, ast.Await):
            node = node.value
        returns = self.view.returns
        if returns is None or not returns.typed or not isinstance(node, ast.Call):
            return None
        name = _dotted(node.func)
        found = None if name is None else returns.get(name)
        return found[0] if found is not None and not found[0].orm and not found[1] else None

    def queried(self, node: ast.expr) -> ModelInfo | None:
        """The model a query chain selects (``session.query(M).filter(...)``), or None."""
        return self._queried(node)

    def updated(self, node: ast.expr) -> ModelInfo | None:
        """The model of an ``update(M)`` statement chain (``update(M).where(...)``), or None."""
        for sub in walk(node):
            if (
                isinstance(sub, ast.Call)
                and (_dotted(sub.func) or "").rpartition(".")[2] == "update"
                and len(sub.args) == 1
            ):
                found = self.model(sub.args[0])
                if found is not None and found.orm:
                    return found
        return None

    def _queried(self, node: ast.expr) -> ModelInfo | None:
        key = id(node)
        if key in self._query_memo:  # a value is asked about more than once (source, then as
            return self._query_memo[key]  # a query to remember): its nodes are walked once
        found = self._query_of(node)
        self._query_memo[key] = found
        return found

    def _query_of(self, node: ast.expr) -> ModelInfo | None:
        """The model a query chain selects: ``select(M)``, ``session.query(M)``, ``M.query``."""
        for sub in walk(node):
            if isinstance(sub, ast.Call):
                name = _dotted(sub.func) or ""
                short = name.rpartition(".")[2]
                if short in _SOURCES and sub.args and (len(sub.args) == 1 or short == "get"):
                    found = self.model(sub.args[0])
                    if found is not None:
                        return found
            elif isinstance(sub, ast.Attribute) and sub.attr == "query":
                found = self.model(sub.value)
                if found is not None:
                    return found
            elif isinstance(sub, ast.Name) and sub.id in self.queries:
                return self.queries[sub.id]  # `stmt = select(M)`, `res = session.execute(stmt)`
        return None

    def iterated(self, node: ast.expr) -> ModelInfo | None:
        """The model of each item of ``for x in node``: a list of instances, ``scalars(...)``,
        a legacy ``query(M)``; never the rows of ``execute(...)``."""
        one, many = self.source(node)
        if many is not None:
            return many
        if one is not None:
            return None
        model = self._queried(node)
        names = {
            (_dotted(n.func) or "").rpartition(".")[2]
            for n in walk(node)
            if isinstance(n, ast.Call)
        }
        if model is not None and ("execute" not in names or "scalars" in names):
            return model
        return None

    def bind(self, target: ast.expr, one: ModelInfo | None, many: ModelInfo | None) -> None:
        if not isinstance(target, ast.Name):
            return
        self.one.pop(target.id, None)
        self.many.pop(target.id, None)
        if self.tuples:
            self.tuples.pop(target.id, None)
        if one is not None:
            self.one[target.id] = one
        if many is not None:
            self.many[target.id] = many

    def shape(self, node: ast.expr) -> Shape:
        """A tuple's shape: a name holding one (a fixture's: ``pair``, ``pair[:]``) or an
        item of it (``pair[0]``); else the value's model."""
        if isinstance(node, ast.Name):
            if node.id in self.tuples:
                return self.tuples[node.id]
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            whole = self.tuples.get(node.value.id)
            index = node.slice
            if whole is None:
                return None
            if isinstance(index, ast.Slice):
                plain = index.lower is None and index.upper is None and index.step is None
                return whole if plain else None
            if isinstance(index, ast.Constant) and isinstance(index.value, int):
                i = index.value
                return whole[i] if -len(whole) <= i < len(whole) else None
            return None
        return self.source(node)[0]

    def bind_shape(self, target: ast.expr, shape: Shape, seen: set[str]) -> None:
        """``a, (b, c) = value`` of a known shape: each name its part (the first binding of a
        name wins)."""
        if isinstance(target, ast.Name):
            if target.id in seen:
                return
            seen.add(target.id)
            if isinstance(shape, tuple):
                self.bind(target, None, None)
                self.tuples[target.id] = shape
            else:
                self.bind(target, shape, None)
        elif isinstance(target, ast.Tuple | ast.List):
            parts = shape if isinstance(shape, tuple) else ()
            if any(isinstance(e, ast.Starred) for e in target.elts) or len(parts) != len(
                target.elts
            ):
                parts = (None,) * len(target.elts)
            for elt, part in zip(target.elts, parts, strict=True):
                self.bind_shape(elt, part, seen)


def collect_types(
    fn: ast.FunctionDef | ast.AsyncFunctionDef | ast.Module,
    view: FileView,
    outer: Types | None,
    fixtures: Lookup | None = None,
) -> Types:
    """Parameters' annotations (a test's or a fixture's unannotated ones: the fixtures of
    their names), then assignments and loops in source order (first wins)."""
    types = Types(view, outer)
    if not isinstance(fn, ast.Module):
        a = fn.args
        pytest = fixtures is not None and uses_fixtures(fn)
        for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs]:
            one, many = types.annotation(arg.annotation)
            if pytest and arg.annotation is None and fixtures is not None:
                shape = fixtures(arg.arg)
                if isinstance(shape, tuple):  # a fixture giving a tuple: unpacked below
                    types.bind(ast.Name(arg.arg), None, None)
                    types.tuples[arg.arg] = shape
                    continue
                one = shape
            types.bind(ast.Name(arg.arg), one, many)
    seen: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                one, many = types.annotation(node.annotation)
                if one is None and many is None and node.value is not None:
                    one, many = types.source(node.value)
                if node.target.id not in seen:
                    types.bind(node.target, one, many)
                seen.add(node.target.id)
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name) and target.id not in seen:
                    if types.tuples and isinstance(node.value, ast.Name | ast.Subscript):
                        shape = types.shape(node.value)
                        if shape is not None:  # `pair = fixture`, `agent = pair[0]`
                            types.bind_shape(target, shape, seen)
                            continue
                    one, many = types.source(node.value)
                    if one is not None or many is not None:
                        types.bind(target, one, many)
                        seen.add(target.id)
                    else:
                        query = types._queried(node.value)
                        if query is not None:
                            types.queries[target.id] = query
                        typed = types.typed_dict(node.value)
                        if typed is not None:
                            types.dicts[target.id] = typed
                elif isinstance(target, ast.Tuple | ast.List):
                    shape = types.shape(node.value)  # `agent, rank = fixture`
                    if isinstance(shape, tuple):
                        types.bind_shape(target, shape, seen)
            elif isinstance(node, ast.For | ast.AsyncFor) and isinstance(node.target, ast.Name):
                item = types.iterated(node.iter)
                if item is not None and node.target.id not in seen:
                    types.bind(node.target, item, None)
            for stmts in child_statements(node):
                visit(stmts)

    visit(fn.body)
    return types


class Resolver:
    """Tells whether an expression is (or is inside) a JSON column's value, in one function."""

    def __init__(
        self,
        view: FileView,
        cls: str | None,
        fn: ast.FunctionDef | ast.AsyncFunctionDef | ast.Module,
        untyped: bool = False,
        outer: Types | None = None,
        fixtures: Lookup | None = None,
    ) -> None:
        self.view = view
        self.cls = cls
        self.untyped = untyped
        self.types = collect_types(fn, view, outer, fixtures)

    def _class_of(self, recv: ast.expr) -> ModelInfo | None:
        if isinstance(recv, ast.Name):
            if recv.id in {"self", "cls"} and self.cls is not None:
                return self.view.classes.get(self.cls)
            return self.types.one.get(recv.id)
        if isinstance(recv, ast.Attribute):
            owner = self._class_of(recv.value)
            if owner is not None and recv.attr in owner.rel_targets:
                target = self.view.models.get(owner.rel_targets[recv.attr])
                return target if target is not None and target.orm else None
        return None

    def json_attr(self, recv: ast.expr, attr: str) -> frozenset[str] | None:
        """What ``recv.attr`` tracks at the top level when it is a JSON column; else None."""
        info = self._class_of(recv)
        if info is not None and (info.orm or info.orm_mixin) and attr in info.json:
            return frozenset(info.json[attr])
        if not self.untyped or attr not in self.view.json_attrs:
            return None
        if info is not None and attr not in info.json:
            return None
        if (
            isinstance(recv, ast.Name)
            and recv.id in {"self", "cls"}
            and self.cls is not None
            and self.cls in self.view.classes
            and attr not in self.view.classes[self.cls].json
        ):
            return None
        return frozenset()

    def ref(self, node: ast.expr, state: State) -> Ref | None:
        if isinstance(node, ast.Attribute):
            tracked = self.json_attr(node.value, node.attr)
            if tracked is not None:
                return Ref(text(node.value), node.attr, nested=False, tracked=tracked)
            return None
        if isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Slice):
            inner = self.ref(node.value, state)
            if inner is None:
                return None
            key = node.slice.value if isinstance(node.slice, ast.Constant) else None
            if (
                inner.shallow
                and not inner.nested
                and isinstance(key, str)
                and key in inner.fresh_keys
            ):
                return None  # a value put in the copy, not shared with the column
            return Ref(inner.recv, inner.attr, nested=True)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _NESTED_GETTERS
        ):
            inner = self.ref(node.func.value, state)
            return None if inner is None else Ref(inner.recv, inner.attr, nested=True)
        if isinstance(node, ast.Name):
            return state.aliases.get(node.id)
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or) and node.values:
            return self.ref(node.values[0], state)  # `obj.col or {}`
        if isinstance(node, ast.IfExp):
            return self.ref(node.body, state) or self.ref(node.orelse, state)
        return None

    def shallow_copy(self, node: ast.expr, state: State) -> Ref | None:
        """``dict(x.attr)``, ``x.attr.copy()``, ``copy.copy(x.attr)``, ``{**x.attr, ...}``."""
        if isinstance(node, ast.IfExp):
            return self.shallow_copy(node.body, state) or self.shallow_copy(node.orelse, state)
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or) and node.values:
            return self.shallow_copy(node.values[0], state)
        source: ast.expr | None = None
        fresh: set[str] = set()
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in {"dict", "list"} and node.args:
                source = node.args[0]
            elif isinstance(func, ast.Attribute) and func.attr == "copy":
                source = node.args[0] if node.args else func.value
        elif isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values, strict=True):
                if k is None and source is None and self.ref(v, state):
                    source = v
                elif source is not None and isinstance(k, ast.Constant):
                    fresh.add(str(k.value))
        inner = None if source is None else self.ref(source, state)
        if inner is None:
            return None
        return Ref(inner.recv, inner.attr, False, shallow=True, fresh_keys=frozenset(fresh))


def with_fresh_key(ref: Ref, key: str) -> Ref:
    return replace(ref, fresh_keys=ref.fresh_keys | {key})


def helper_args(
    call: ast.Call, params: Mapping[int, str], method: bool
) -> dict[int, ast.expr | None]:
    """The argument a call passes for each parameter index of ``params``."""
    shift = 1 if method and isinstance(call.func, ast.Attribute) else 0
    out: dict[int, ast.expr | None] = {}
    for index, param in params.items():
        pos = index - shift
        arg: ast.expr | None = None
        if 0 <= pos < len(call.args) and not any(
            isinstance(a, ast.Starred) for a in call.args[: pos + 1]
        ):
            arg = call.args[pos]
        for k in call.keywords:
            if k.arg == param:
                arg = k.value
        out[index] = arg
    return out
