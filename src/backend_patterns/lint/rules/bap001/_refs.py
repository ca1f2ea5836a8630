"""BAP001, part 2: which expressions stand for a JSON column's value, and the state a
function's walk carries (pending changes, aliases, objects not yet flushed). Stdlib only.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from ._decls import Decls

_NESTED_GETTERS = frozenset({"get", "setdefault"})


@dataclass(frozen=True, slots=True)
class Ref:
    """An object that is, or is inside, the value of ``recv.attr`` (a JSON column)."""

    recv: str
    attr: str
    nested: bool  # inside the column's value, not the value itself
    shallow: bool = False  # a shallow copy: only changes below the top level reach the column


@dataclass(frozen=True, slots=True)
class Mutation:
    node: ast.AST
    ref: Ref
    how: str


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

    def copy(self) -> State:
        return State(dict(self.pending), dict(self.aliases), set(self.fresh))


def merge(*states: State | None) -> State | None:
    live = [s for s in states if s is not None]
    if not live:
        return None
    out = live[0].copy()
    for other in live[1:]:
        out.pending.update(other.pending)
        out.aliases.update(other.aliases)
        out.fresh |= other.fresh
    return out


def _type_name(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.strip("'\" ").split("|")[0].strip() or None
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _type_name(node.left)
    if isinstance(node, ast.Subscript) and _type_name(node.value) == "Optional":
        return _type_name(node.slice)
    return None


def _constructed(value: ast.expr) -> str | None:
    """``Agent`` for ``Agent(...)``, ``session.get(Agent, id)`` or ``await session.get(...)``."""
    if isinstance(value, ast.Await):
        value = value.value
    if not isinstance(value, ast.Call):
        return None
    func = value.func
    if isinstance(func, ast.Attribute) and func.attr == "get" and value.args:
        return _type_name(value.args[0])
    name = _type_name(func)
    return name if name and name[:1].isupper() else None


def is_new_object(value: ast.expr) -> bool:
    """``Agent(...)``: an object not yet in the database, whose INSERT carries its value."""
    if not isinstance(value, ast.Call) or (
        isinstance(value.func, ast.Attribute) and value.func.attr == "get"
    ):
        return False
    name = _type_name(value.func)
    return bool(name and name[:1].isupper())


def var_types(fn: ast.FunctionDef | ast.AsyncFunctionDef | ast.Module) -> dict[str, str]:
    types: dict[str, str] = {}
    if not isinstance(fn, ast.Module):
        a = fn.args
        for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs]:
            name = _type_name(arg.annotation)
            if name:
                types[arg.arg] = name
    for node in ast.walk(fn):
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            name = _constructed(node.value)
            if name:
                types.setdefault(node.targets[0].id, name)
    return types


class Resolver:
    """Tells whether an expression is (or is inside) a JSON column's value, in one function."""

    def __init__(
        self,
        decls: Decls,
        cls: str | None,
        fn: ast.FunctionDef | ast.AsyncFunctionDef | ast.Module,
    ) -> None:
        self.decls = decls
        self.cls = cls
        self.types = var_types(fn)

    def _class_of(self, recv: ast.expr) -> str | None:
        if isinstance(recv, ast.Name):
            if recv.id == "self":
                return self.cls
            return self.types.get(recv.id)
        return None

    def _is_json(self, recv: ast.expr, attr: str) -> bool:
        if attr not in self.decls.json:
            return False
        info = self.decls.classes.get(self._class_of(recv) or "")
        if info is not None:
            if attr in info.json:
                return True
            if attr in info.other:
                return False
        return True

    def _tracked(self, ref: Ref) -> bool:
        """A ``MutableDict``/``MutableList`` column sees changes at its top level."""
        return self.decls.top_level_tracked(ref.attr)

    def ref(self, node: ast.expr, state: State) -> Ref | None:
        if isinstance(node, ast.Attribute):
            if self._is_json(node.value, node.attr):
                return Ref(ast.unparse(node.value), node.attr, nested=False)
            return None
        if isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Slice):
            inner = self.ref(node.value, state)
            return None if inner is None else Ref(inner.recv, inner.attr, nested=True)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _NESTED_GETTERS
        ):
            inner = self.ref(node.func.value, state)
            return None if inner is None else Ref(inner.recv, inner.attr, nested=True)
        if isinstance(node, ast.Name):
            return state.aliases.get(node.id)
        return None

    def _shallow_copy(self, node: ast.expr, state: State) -> Ref | None:
        """``dict(x.attr)``, ``x.attr.copy()``, ``copy.copy(x.attr)``, ``{**x.attr, ...}``."""
        source: ast.expr | None = None
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in {"dict", "list"} and node.args:
                source = node.args[0]
            elif isinstance(func, ast.Attribute) and func.attr == "copy":
                source = node.args[0] if node.args else func.value
        elif isinstance(node, ast.Dict):
            source = next(
                (
                    v
                    for k, v in zip(node.keys, node.values, strict=True)
                    if k is None and self.ref(v, state)
                ),
                None,
            )
        inner = None if source is None else self.ref(source, state)
        return None if inner is None else Ref(inner.recv, inner.attr, False, shallow=True)
