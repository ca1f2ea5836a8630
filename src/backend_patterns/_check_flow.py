"""BAP001, part 2: follow each function's statements and find in-place JSON changes never flagged.

A change is *pending* from the statement that makes it until a ``flag_modified(obj, "attr")``
for the same object and attribute. A commit, a flush, a ``return`` or the end of the function
with the change still pending makes it a finding. Branches are followed separately and merged
(a change pending on any path stays pending). Stdlib only.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ._check_decls import Decls

MUTATORS = frozenset(
    {
        "update",
        "setdefault",
        "pop",
        "popitem",
        "clear",
        "append",
        "extend",
        "remove",
        "insert",
        "sort",
        "reverse",
        "__setitem__",
        "__delitem__",
    }
)
_NESTED_GETTERS = frozenset({"get", "setdefault"})
_ENDS = {"commit": "the commit", "flush": "the flush"}
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


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
class _State:
    pending: dict[int, Mutation] = field(default_factory=dict)
    aliases: dict[str, Ref] = field(default_factory=dict)
    fresh: set[str] = field(default_factory=set)  # objects built here, not yet flushed

    def copy(self) -> _State:
        return _State(dict(self.pending), dict(self.aliases), set(self.fresh))


def _merge(*states: _State | None) -> _State | None:
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


def _is_new_object(value: ast.expr) -> bool:
    """``Agent(...)``: an object not yet in the database, whose INSERT carries its value."""
    if not isinstance(value, ast.Call) or (
        isinstance(value.func, ast.Attribute) and value.func.attr == "get"
    ):
        return False
    name = _type_name(value.func)
    return bool(name and name[:1].isupper())


def _var_types(fn: ast.FunctionDef | ast.AsyncFunctionDef | ast.Module) -> dict[str, str]:
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


def _calls(nodes: Iterable[ast.AST]) -> list[ast.Call]:
    return [n for node in nodes for n in ast.walk(node) if isinstance(n, ast.Call)]


class FunctionCheck:
    """Follows one function (or a module's top level) and reports what is never flagged."""

    def __init__(
        self,
        decls: Decls,
        cls: str | None,
        fn: ast.FunctionDef | ast.AsyncFunctionDef | ast.Module,
        report: Callable[[Unsaved], None],
    ) -> None:
        self.decls = decls
        self.cls = cls
        self.fn = fn
        self.types = _var_types(fn)
        self.report = report
        self.seen: set[int] = set()

    def run(self) -> None:
        state = self.block(self.fn.body, _State())
        if state is not None:
            where = "module" if isinstance(self.fn, ast.Module) else "function"
            self.end(state, f"the end of the {where}")

    # --- which expressions are a JSON column's value ------------------------------------
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

    def ref(self, node: ast.expr, state: _State) -> Ref | None:
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

    def _shallow_copy(self, node: ast.expr, state: _State) -> Ref | None:
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

    # --- statements ----------------------------------------------------------------------
    def block(self, stmts: list[ast.stmt], state: _State | None) -> _State | None:
        for stmt in stmts:
            if state is None:
                return None
            state = self.stmt(stmt, state)
        return state

    def stmt(self, node: ast.stmt, st: _State) -> _State | None:
        if isinstance(node, _SCOPES):
            return st
        if isinstance(node, ast.If):
            self.events([node.test], st)
            return _merge(self.block(node.body, st.copy()), self.block(node.orelse, st.copy()))
        if isinstance(node, ast.For | ast.AsyncFor | ast.While):
            if isinstance(node, ast.While):
                self.events([node.test], st)
            else:
                self.events([node.iter], st)
                self.bind_loop(node.target, node.iter, st)
            after = _merge(st, self.block(node.body, st.copy()))
            return self.block(node.orelse, after)
        if isinstance(node, ast.With | ast.AsyncWith):
            self.events([item.context_expr for item in node.items], st)
            out = self.block(node.body, st)
            for item in node.items:
                call = item.context_expr
                if (
                    out is not None
                    and isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr in {"begin", "begin_nested"}
                ):
                    self.end(
                        out,
                        f"the end of the `{ast.unparse(call)}` block on line {node.lineno}",
                        flush=True,
                    )
            return out
        if isinstance(node, ast.Try | ast.TryStar):
            body = self.block(node.body, st.copy())
            entry = _merge(st, body)
            assert entry is not None
            handlers = [self.block(h.body, entry.copy()) for h in node.handlers]
            done = _merge(self.block(node.orelse, body), *handlers)
            if not node.finalbody:
                return done
            self.block(node.finalbody, entry.copy())
            return None if done is None else self.block(node.finalbody, done)
        if isinstance(node, ast.Match):
            self.events([node.subject], st)
            return _merge(st, *(self.block(case.body, st.copy()) for case in node.cases))
        if isinstance(node, ast.Return):
            if node.value is not None:
                self.events([node.value], st)
            self.end(st, f"the return on line {node.lineno}")
            return None
        if isinstance(node, ast.Raise):
            return None
        self.simple(node, st)
        return st

    def bind_loop(self, target: ast.expr, it: ast.expr, st: _State) -> None:
        """``for item in x.attr["items"]`` / ``for k, v in x.attr.items()``: items are nested."""
        for name in ast.walk(target):
            if isinstance(name, ast.Name):
                st.aliases.pop(name.id, None)
                st.fresh.discard(name.id)
        source: ast.expr = it
        value_target: ast.expr | None = target
        if (
            isinstance(it, ast.Call)
            and isinstance(it.func, ast.Attribute)
            and it.func.attr in {"values", "items"}
        ):
            source = it.func.value
            if it.func.attr == "items":
                ok = isinstance(target, ast.Tuple) and len(target.elts) == 2
                value_target = target.elts[1] if isinstance(target, ast.Tuple) and ok else None
        ref = self.ref(source, st)
        if ref is not None and isinstance(value_target, ast.Name):
            st.aliases[value_target.id] = Ref(ref.recv, ref.attr, nested=True)

    def simple(self, node: ast.stmt, st: _State) -> None:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Subscript) and isinstance(sub.ctx, ast.Store):
                        self.mutate(sub, sub.value, "item assignment", st)
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                if isinstance(target, ast.Subscript):
                    self.mutate(target, target.value, "`del`", st)
        elif isinstance(node, ast.AugAssign):
            op = _AUG_OPS.get(type(node.op), "augmented assignment")
            if isinstance(node.target, ast.Subscript):
                self.mutate(node.target, node.target.value, f"`{op}` on an item", st)
            else:
                self.mutate(node.target, node.target, f"`{op}`", st)
        self.events([node], st)
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            alias = self.ref(node.value, st) or self._shallow_copy(node.value, st)
            fresh = _is_new_object(node.value)
            for target in targets:
                if isinstance(target, ast.Name):
                    if alias is not None:
                        st.aliases[target.id] = alias
                    else:
                        st.aliases.pop(target.id, None)
                    if fresh:
                        st.fresh.add(target.id)
                    else:
                        st.fresh.discard(target.id)

    def mutate(self, node: ast.AST, container: ast.expr, how: str, st: _State) -> None:
        ref = self.ref(container, st)
        if ref is None or (ref.shallow and not ref.nested):
            return
        if not ref.nested and self._tracked(ref):
            return
        if ref.recv in st.fresh:
            return
        st.pending[id(node)] = Mutation(node, ref, how)

    def events(self, nodes: list[ast.AST], st: _State) -> None:
        """Calls inside ``nodes``: mutator methods, ``flag_modified``, commit and flush."""
        calls = _calls(nodes)
        for call in calls:
            func = call.func
            if isinstance(func, ast.Attribute) and func.attr in MUTATORS:
                self.mutate(call, func.value, f"`.{func.attr}()`", st)
        for call in calls:
            func = call.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else (func.attr if isinstance(func, ast.Attribute) else "")
            )
            if name == "flag_modified" and call.args:
                recv = ast.unparse(call.args[0])
                key = call.args[1] if len(call.args) > 1 else None
                attr = key.value if isinstance(key, ast.Constant) else None
                for k, m in list(st.pending.items()):
                    if m.ref.recv == recv and (attr is None or m.ref.attr == attr):
                        del st.pending[k]
        for call in calls:
            func = call.func
            if isinstance(func, ast.Attribute) and func.attr in _ENDS:
                self.end(st, f"{_ENDS[func.attr]} on line {call.lineno}", flush=True)
            elif isinstance(func, ast.Attribute) and func.attr == "rollback":
                st.pending.clear()

    def end(self, st: _State, where: str, flush: bool = False) -> None:
        for key, mutation in st.pending.items():
            if key not in self.seen:
                self.seen.add(key)
                self.report(Unsaved(mutation, where))
        st.pending.clear()
        if flush:
            st.fresh.clear()


_AUG_OPS: dict[type[ast.operator], str] = {
    ast.Add: "+=",
    ast.Sub: "-=",
    ast.BitOr: "|=",
    ast.BitAnd: "&=",
    ast.Mult: "*=",
}


def check_module(tree: ast.Module, decls: Decls, report: Callable[[Unsaved], None]) -> None:
    """Run the check on the module's top level and on every function, method and nested one."""
    FunctionCheck(decls, None, tree, report).run()

    def visit(body: list[ast.stmt], cls: str | None) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                visit(node.body, node.name)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                FunctionCheck(decls, cls, node, report).run()
                visit(node.body, cls)
            else:
                for child in ast.iter_child_nodes(node):
                    if isinstance(child, ast.stmt):
                        visit([child], cls)
                    elif isinstance(child, ast.ExceptHandler | ast.match_case):
                        visit(child.body, cls)

    visit(tree.body, None)
