"""BAP001, part 3: follow each function's statements and find in-place JSON changes never flagged.

A change is *pending* from the statement that makes it until a ``flag_modified(obj, "attr")``
for the same object and attribute. A commit, a flush, a ``return`` or the end of the function
with the change still pending makes it a finding. Branches are followed separately and merged
(a change pending on any path stays pending). Stdlib only.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable

from ._decls import Decls
from ._refs import Mutation, Ref, Resolver, State, Unsaved, is_new_object, merge

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


def _calls(nodes: Iterable[ast.AST]) -> list[ast.Call]:
    return [n for node in nodes for n in ast.walk(node) if isinstance(n, ast.Call)]


class FunctionCheck(Resolver):
    """Follows one function (or a module's top level) and reports what is never flagged."""

    def __init__(
        self,
        decls: Decls,
        cls: str | None,
        fn: ast.FunctionDef | ast.AsyncFunctionDef | ast.Module,
        report: Callable[[Unsaved], None],
    ) -> None:
        super().__init__(decls, cls, fn)
        self.fn = fn
        self.report = report
        self.seen: set[int] = set()

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
            state = self.stmt(stmt, state)
        return state

    def stmt(self, node: ast.stmt, st: State) -> State | None:
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

    def simple(self, node: ast.stmt, st: State) -> None:
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
            fresh = is_new_object(node.value)
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

    def mutate(self, node: ast.AST, container: ast.expr, how: str, st: State) -> None:
        ref = self.ref(container, st)
        if ref is None or (ref.shallow and not ref.nested):
            return
        if not ref.nested and self._tracked(ref):
            return
        if ref.recv in st.fresh:
            return
        st.pending[id(node)] = Mutation(node, ref, how)

    def events(self, nodes: list[ast.AST], st: State) -> None:
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

    def end(self, st: State, where: str, flush: bool = False) -> None:
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
