"""BAP001, part 3: follow each function's statements and find in-place JSON changes never flagged.

A change is *pending* from the statement that makes it until a ``flag_modified(obj, "attr")``
for the same object and attribute. A commit, a flush, a ``return`` or the end of the function
with the change still pending makes it a finding. Branches are followed separately and merged
(a change pending on any path stays pending). Stdlib only.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from ....project import FileView
from ._fixtures import Function, Lookup, class_fixtures
from ._prefilter import Spans
from ._refs import (
    Mutation,
    Ref,
    Resolver,
    State,
    Types,
    Unsaved,
    collect_types,
    helper_args,
    merge,
    with_fresh_key,
)
from ._walk import calls, child_statements, text, walk

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
_ENDS = {"commit": "the commit", "flush": "the flush"}
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
# every statement ``stmt`` does not hand to ``simple`` (TryStar: absent before 3.11)
_COMPOUND = frozenset(
    {
        *_SCOPES,
        ast.If,
        ast.For,
        ast.AsyncFor,
        ast.While,
        ast.With,
        ast.AsyncWith,
        ast.Try,
        getattr(ast, "TryStar", ast.Try),
        ast.Match,
        ast.Return,
        ast.Raise,
    }
)


class FunctionCheck(Resolver):
    """Follows one function (or a module's top level) and reports what is never flagged."""

    def __init__(
        self,
        view: FileView,
        cls: str | None,
        fn: ast.FunctionDef | ast.AsyncFunctionDef | ast.Module,
        report: Callable[[Unsaved], None],
        untyped: bool = False,
        outer: Types | None = None,
        spans: Spans | None = None,
        fixtures: Lookup | None = None,
    ) -> None:
        super().__init__(view, cls, fn, untyped, outer, fixtures)
        self.fn = fn
        self.report = report
        self.spans = spans
        self.seen: set[int] = set()
        self.current: ast.stmt | None = None

    def run(self) -> None:
        state = self.block(self.fn.body, State())
        if state is not None:
            where = "module" if isinstance(self.fn, ast.Module) else "function"
            self.end(state, f"the end of the {where}")

    # --- statements ----------------------------------------------------------------------
    def block(self, stmts: list[ast.stmt], state: State | None) -> State | None:
        for stmt in stmts:
            if state is None:
                return None
            self.current = stmt
            state = self.stmt(stmt, state)
        return state

    def stmt(self, node: ast.stmt, st: State) -> State | None:
        if node.__class__ not in _COMPOUND:  # the common case, without the checks below
            self.simple(node, st)
            return st
        if isinstance(node, _SCOPES):
            return st
        if isinstance(node, ast.If):
            self.events([node.test], st)
            return merge(self.block(node.body, st.copy()), self.block(node.orelse, st.copy()))
        if isinstance(node, ast.For | ast.AsyncFor | ast.While):
            if isinstance(node, ast.While):
                self.events([node.test], st)
            else:
                self.events([node.iter], st)
                self.bind_loop(node.target, node.iter, st)
            after = merge(st, self.block(node.body, st.copy()))
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
            entry = merge(st, body)
            assert entry is not None
            handlers = [self.block(h.body, entry.copy()) for h in node.handlers]
            done = merge(self.block(node.orelse, body), *handlers)
            if not node.finalbody:
                return done
            self.block(node.finalbody, entry.copy())
            return None if done is None else self.block(node.finalbody, done)
        if isinstance(node, ast.Match):
            self.events([node.subject], st)
            return merge(st, *(self.block(case.body, st.copy()) for case in node.cases))
        if isinstance(node, ast.Return):
            if node.value is not None:
                self.events([node.value], st)
            self.end(st, f"the return on line {node.lineno}")
            return None
        if isinstance(node, ast.Raise):
            return None
        self.simple(node, st)
        return st

    def bind_loop(self, target: ast.expr, it: ast.expr, st: State) -> None:
        """``for item in x.attr["items"]`` / ``for k, v in x.attr.items()``: items are nested."""
        for name in walk(target):
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

    def simple(self, node: ast.stmt, st: State) -> None:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if target.__class__ is ast.Name:
                    continue  # a name holds no item assignment
                for sub in walk(target):
                    if isinstance(sub, ast.Subscript) and isinstance(sub.ctx, ast.Store):
                        self.mutate(sub, sub.value, "item assignment", st, "__setitem__")
                        self.fresh_key(sub, st)
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                if isinstance(target, ast.Subscript):
                    self.mutate(target, target.value, "`del`", st, "__delitem__")
        elif isinstance(node, ast.AugAssign):
            op = _AUG_OPS.get(type(node.op), "augmented assignment")
            if isinstance(node.target, ast.Subscript):
                self.mutate(
                    node.target, node.target.value, f"`{op}` on an item", st, "__setitem__"
                )
            elif _in_place_aug(node):
                self.mutate(node.target, node.target, f"`{op}`", st, "__iadd__")
            elif isinstance(node.target, ast.Name):
                st.aliases.pop(node.target.id, None)  # `port += 1`: a new value, not a change
        self.events([node], st)
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            alias = self.ref(node.value, st) or self.shallow_copy(node.value, st)
            alias = alias or self.returned_alias(node.value, st)
            fresh = self._new_object(node.value)
            copied = self._copied_object(node.value)
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
                    if copied:
                        st.detached[target.id] = (
                            "a copy of a loaded object, never added to a session"
                        )
                    else:
                        st.detached.pop(target.id, None)
                elif (
                    isinstance(target, ast.Attribute)
                    and self.json_attr(target.value, target.attr) is not None
                ):
                    key = (text(target.value), target.attr)
                    if alias is None:
                        st.assigned.add(key)  # a new value
                    elif alias.shallow and not alias.nested:
                        st.copied.add(key)  # a shallow copy of the value
                    else:
                        st.copied.discard(key)

    def fresh_key(self, sub: ast.Subscript, st: State) -> None:
        """``copy["k"] = {}`` on a shallow copy: ``copy["k"]`` is no longer shared."""
        if (
            isinstance(sub.value, ast.Name)
            and isinstance(sub.slice, ast.Constant)
            and isinstance(sub.slice.value, str)
        ):
            ref = st.aliases.get(sub.value.id)
            if ref is not None and ref.shallow and not ref.nested:
                st.aliases[sub.value.id] = with_fresh_key(ref, sub.slice.value)

    def _new_object(self, value: ast.expr) -> bool:
        """``Agent(...)``: an object not yet in the database, whose INSERT carries its value."""
        return isinstance(value, ast.Call) and self.types.model(value.func) is not None

    def _copied_object(self, value: ast.expr) -> bool:
        """``copy(obj)`` / ``copy.deepcopy(obj)`` of a model instance."""
        if not (isinstance(value, ast.Call) and len(value.args) == 1):
            return False
        name = text(value.func).rpartition(".")[2]
        arg = value.args[0]
        return (
            name in {"copy", "deepcopy"}
            and isinstance(arg, ast.Name)
            and (arg.id in self.types.one or arg.id in {"self"})
            and self._class_of(arg) is not None
        )

    def returned_alias(self, value: ast.expr, st: State) -> Ref | None:
        """``items = add_item(obj.col["items"])`` where the helper returns what it changed."""
        if isinstance(value, ast.Await):
            value = value.value
        if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)):
            return None
        for helper in self.view.changers.get(value.func.id, []):
            if helper.returns:
                arg = helper_args(value, {helper.index: helper.param}, helper.method)
                found = arg.get(helper.index)
                if found is not None:
                    return self.ref(found, st)
        return None

    def mutate(self, node: ast.AST, container: ast.expr, how: str, st: State, method: str) -> None:
        ref = self.ref(container, st)
        if ref is None or (ref.shallow and not ref.nested):
            return
        if not ref.nested and method in ref.tracked:
            self.flag(ref.recv, ref.attr, st)  # the Mutable calls changed(): flag_modified
            return
        if ref.recv in st.fresh or (ref.recv, ref.attr) in st.assigned:
            return
        if not ref.nested and (ref.recv, ref.attr) in st.copied:
            return  # a top-level change of the copy just assigned: the copy differs, saved
        why = st.detached.get(ref.recv)
        mutation = Mutation(node, ref, how, self.current, why)
        if why is not None:
            if id(node) not in self.seen:
                self.seen.add(id(node))
                self.report(Unsaved(mutation, "the end"))
            return
        st.pending[id(node)] = mutation

    def events(self, nodes: list[ast.AST], st: State) -> None:
        """Calls inside ``nodes``: mutator methods, ``flag_modified``, commit and flush."""
        spans = self.spans
        if spans is not None:
            for n in nodes:
                first: int = n.lineno  # type: ignore[attr-defined]
                if spans.calls(first, n.end_lineno or first):  # type: ignore[attr-defined]
                    break
            else:
                return  # no name an event call can have: none is in ``nodes``
        every = calls(nodes)
        if not every:
            return
        for call in every:
            func = call.func
            if isinstance(func, ast.Attribute) and func.attr in MUTATORS:
                self.mutate(call, func.value, f"`.{func.attr}()`", st, func.attr)
            elif isinstance(func, ast.Name) and func.id in self.view.changers:
                for helper in self.view.changers[func.id]:
                    arg = helper_args(call, {helper.index: helper.param}, helper.method)
                    found = arg.get(helper.index)
                    if found is not None:
                        self.mutate(call, found, f"`{func.id}()`", st, "")
        for call in every:
            func = call.func
            name = func.attr if isinstance(func, ast.Attribute) else ""
            if (
                name in {"expunge", "close"}
                and isinstance(func, ast.Attribute)
                and "session" in text(func.value).lower()
            ):
                line = call.lineno
                if name == "expunge" and call.args and isinstance(call.args[0], ast.Name):
                    st.detached[call.args[0].id] = f"expunged from its session on line {line}"
                elif name == "close":
                    for obj in self.types.one:
                        st.detached.setdefault(obj, f"detached: its session closed on line {line}")
            elif name in {"add", "merge"} and call.args and isinstance(call.args[0], ast.Name):
                st.detached.pop(call.args[0].id, None)
            self.flagged_by_helper(call, st)
        for call in every:
            func = call.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else (func.attr if isinstance(func, ast.Attribute) else "")
            )
            if name == "flag_modified" and call.args:
                key = call.args[1] if len(call.args) > 1 else None
                attr = key.value if isinstance(key, ast.Constant) else None
                self.flag(text(call.args[0]), attr if isinstance(attr, str) else None, st)
            elif name in {"update", "values"} and st.pending:
                self.bulk_write(call, st)
        for call in every:
            func = call.func
            if isinstance(func, ast.Attribute) and func.attr in _ENDS:
                self.end(st, f"{_ENDS[func.attr]} on line {call.lineno}", flush=True)
            elif isinstance(func, ast.Attribute) and func.attr == "rollback":
                st.pending.clear()

    def flag(self, recv: str, attr: str | None, st: State) -> None:
        """``flag_modified(recv, attr)``: the changes of ``recv.attr`` (any attribute when
        ``attr`` is None) are saved by the next flush."""
        for k, m in list(st.pending.items()):
            if m.ref.recv == recv and (attr is None or m.ref.attr == attr):
                del st.pending[k]

    def bulk_write(self, call: ast.Call, st: State) -> None:
        """``session.query(M)...update({"attr": value})`` / ``update(M)...values(attr=value)``
        where ``value`` is the changed column value itself: the UPDATE writes the change."""
        func = call.func
        if not isinstance(func, ast.Attribute):
            return
        if func.attr == "update":
            model = self.types.queried(func.value)  # a legacy query's bulk update
        else:
            model = self.types.updated(func.value)  # update(M).where(...).values(...)
        if model is None:
            return
        written: list[tuple[str | None, ast.expr]] = [(k.arg, k.value) for k in call.keywords]
        for arg in call.args[:1]:
            if isinstance(arg, ast.Name):  # update(values) with `values = {...}` built here
                written.extend(self.dict_built(arg.id))
            elif isinstance(arg, ast.Dict):
                for key, value in zip(arg.keys, arg.values, strict=True):
                    if isinstance(key, ast.Constant) and isinstance(key.value, str):
                        written.append((key.value, value))
                    elif isinstance(key, ast.Attribute) and self.types.model(key.value) is model:
                        written.append((key.attr, value))
        for attr, value in written:
            if attr is None or attr not in model.json:
                continue
            ref = self.ref(value, st) or self.shallow_copy(value, st)
            if ref is not None and not ref.nested and ref.attr == attr:
                self.flag(ref.recv, attr, st)

    def dict_built(self, name: str) -> list[tuple[str | None, ast.expr]]:
        """The string keys and values of the dict ``name`` when this function binds it once,
        to a dict literal, and adds keys only as ``name["key"] = value``."""
        literal: ast.Dict | None = None
        added: list[tuple[str | None, ast.expr]] = []
        for node in walk(self.fn):
            if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name) and target.id == name:
                        if literal is not None or not isinstance(node.value, ast.Dict):
                            return []
                        literal = node.value
                    elif (
                        isinstance(target, ast.Subscript)
                        and isinstance(target.value, ast.Name)
                        and target.value.id == name
                        and isinstance(target.slice, ast.Constant)
                        and isinstance(target.slice.value, str)
                    ):
                        added.append((target.slice.value, node.value))
        if literal is None:
            return []
        pairs: list[tuple[str | None, ast.expr]] = [
            (key.value, value)
            for key, value in zip(literal.keys, literal.values, strict=True)
            if isinstance(key, ast.Constant) and isinstance(key.value, str)
        ]
        return pairs + added

    def flagged_by_helper(self, call: ast.Call, st: State) -> None:
        """``repo.update_data(obj, obj.data)`` where ``update_data`` calls ``flag_modified``."""
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        for helper in self.view.flaggers.get(name, []):
            arg = helper_args(call, {helper.index: helper.param}, helper.method).get(helper.index)
            if arg is None:
                continue
            recv = text(arg)
            for k, m in list(st.pending.items()):
                if m.ref.recv == recv and (helper.attr is None or m.ref.attr == helper.attr):
                    del st.pending[k]

    def end(self, st: State, where: str, flush: bool = False) -> None:
        for key, mutation in st.pending.items():
            if key not in self.seen:
                self.seen.add(key)
                self.report(Unsaved(mutation, where))
        st.pending.clear()
        if flush:
            st.fresh.clear()
            st.assigned.clear()
            st.copied.clear()


def _in_place_aug(node: ast.AugAssign) -> bool:
    """``items += [x]`` / ``d |= {...}`` on a name changes a list or dict in place; ``n += 1``
    makes a new value. Without a literal on the right, the kind of value is unknown."""
    if isinstance(node.target, ast.Attribute):  # a JSON column holds a dict or a list
        return isinstance(node.op, ast.Add | ast.BitOr)
    return isinstance(node.op, ast.Add | ast.BitOr) and isinstance(
        node.value, ast.List | ast.ListComp | ast.Dict | ast.DictComp | ast.Set | ast.Tuple
    )


_AUG_OPS: dict[type[ast.operator], str] = {
    ast.Add: "+=",
    ast.Sub: "-=",
    ast.BitOr: "|=",
    ast.BitAnd: "&=",
    ast.Mult: "*=",
}


def check_module(
    tree: ast.Module,
    view: FileView,
    report: Callable[[Unsaved], None],
    untyped: bool = False,
    spans: Spans | None = None,
    fixtures: Lookup | None = None,
) -> None:
    """Run the check on the module's top level and on every function, method and nested one
    (a nested function knows the parameters and variables of the functions around it).

    ``spans`` tells which lines may hold a change (they name a JSON attribute); a function,
    or a top level, whose lines do not is skipped. ``fixtures`` gives the model of a pytest
    fixture, for the unannotated parameters of tests and fixtures."""

    def wanted(node: ast.stmt) -> bool:
        return spans is None or spans.attrs(node.lineno, node.end_lineno or node.lineno)

    if any(wanted(node) for node in tree.body if not isinstance(node, _SCOPES)):
        FunctionCheck(view, None, tree, report, untyped, None, spans).run()
    _visit(tree.body, None, None, (view, report, untyped, spans, fixtures))


_Context = tuple[FileView, Callable[[Unsaved], None], bool, "Spans | None", "Lookup | None"]


def _visit(body: list[ast.stmt], cls: str | None, outer: Types | None, ctx: _Context) -> None:
    """Check each function of ``body`` and the functions nested in it (a function, not a
    closure: a worker runs without the cycle collector, and a closure that calls itself is a
    cycle that would keep every file's tree alive)."""
    view, report, untyped, spans, fixtures = ctx
    for node in body:
        if spans is not None and not spans.attrs(node.lineno, node.end_lineno or node.lineno):
            continue
        if isinstance(node, ast.ClassDef):
            inner = None if fixtures is None else class_fixtures(node, view, fixtures, _collect)
            _visit(node.body, node.name, outer, ctx if inner is None else (*ctx[:4], inner))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            check = FunctionCheck(view, cls, node, report, untyped, outer, spans, fixtures)
            check.run()
            last = node.end_lineno or node.lineno
            if spans is None or spans.defs(node.body[0].lineno, last):
                _visit(node.body, cls, check.types, ctx)  # a nested function or class
        else:
            for stmts in child_statements(node):
                _visit(stmts, cls, outer, ctx)


def _collect(fn: Function, view: FileView, fixtures: Lookup) -> Types:
    """The types of a test class's fixture (``_fixtures.class_fixtures``)."""
    return collect_types(fn, view, None, fixtures)
