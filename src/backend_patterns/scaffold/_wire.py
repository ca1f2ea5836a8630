"""Including a new router in the project's app: an idempotent edit that keeps formatting.

The import goes into the module's first-party import block in isort order (or a new block after
the last import), the ``include_router`` call after the last module-level one on the same object
(or right after the object is made). Where that is not certain (the object is made inside a
function, an app factory, or the module does not parse), no edit is made and the exact lines to
add are returned with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst


@dataclass(frozen=True, slots=True)
class Wiring:
    """The new text of the module, or ``None`` with the lines to add by hand and why."""

    text: str | None
    lines: tuple[str, ...]
    reason: str = ""


def _dotted(node: cst.BaseExpression | None) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr.value}" if head else ""
    return ""


def _import_module(stmt: cst.BaseStatement) -> tuple[str, bool] | None:
    """``(module, is_from)`` of a top-level import statement."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    small = stmt.body[0]
    if isinstance(small, cst.ImportFrom):
        if small.relative:
            return ("." * len(small.relative) + _dotted(small.module), True)
        return (_dotted(small.module), True)
    if isinstance(small, cst.Import):
        return (_dotted(small.names[0].name), False)
    return None


def _call_on(stmt: cst.BaseStatement, obj: str) -> cst.Call | None:
    """The ``obj.include_router(...)`` call a top-level statement is, if it is one."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    small = stmt.body[0]
    if not isinstance(small, cst.Expr) or not isinstance(small.value, cst.Call):
        return None
    call = small.value
    func = call.func
    if isinstance(func, cst.Attribute) and func.attr.value == "include_router":
        return call if _dotted(func.value) == obj else None
    return None


def _assigns(stmt: cst.BaseStatement, name: str) -> bool:
    if not isinstance(stmt, cst.SimpleStatementLine):
        return False
    for small in stmt.body:
        if isinstance(small, cst.Assign):
            if any(_dotted(t.target) == name for t in small.targets):
                return True
        elif isinstance(small, cst.AnnAssign) and _dotted(small.target) == name:
            return True
    return False


def _sort_key(module: str) -> str:
    return module.lower()


def include_router(
    text: str, obj: str, module: str, alias: str, first_party: frozenset[str]
) -> Wiring:
    """Add ``from module import router as alias`` and ``obj.include_router(alias)`` to ``text``.

    ``first_party`` holds the project's top-level modules and packages (isort's sections)."""
    import_line = f"from {module} import router as {alias}"
    call_line = f"{obj}.include_router({alias})"
    lines = (import_line, call_line)
    try:
        tree = cst.parse_module(text)
    except cst.ParserSyntaxError:
        return Wiring(None, lines, "the module does not parse")
    body: list[cst.BaseStatement] = list(tree.body)
    has_import = any(
        isinstance(s, cst.SimpleStatementLine) and tree.code_for_node(s).strip() == import_line
        for s in body
    )
    calls = [i for i, s in enumerate(body) if _call_on(s, obj) is not None]
    if any(tree.code_for_node(body[i]).strip() == call_line for i in calls) and has_import:
        return Wiring(text, lines)  # already wired: nothing to change
    made = [i for i, s in enumerate(body) if _assigns(s, obj)]
    if not made and not calls:
        return Wiring(None, lines, f"'{obj}' is not made at the top level of the module")
    # The include call: after the last one on obj, else after obj is made.
    at = (calls or made)[-1] + 1
    new_call = cst.parse_statement(call_line + "\n")
    if not any(tree.code_for_node(body[i]).strip() == call_line for i in calls):
        body.insert(at, new_call)
    if not has_import:
        body = _with_import(body, import_line, module, first_party)
    return Wiring(tree.with_changes(body=body).code, lines)


def _with_import(
    body: list[cst.BaseStatement], line: str, module: str, first_party: frozenset[str]
) -> list[cst.BaseStatement]:
    top = 0
    imports: list[tuple[int, str, bool]] = []
    for i, stmt in enumerate(body):
        found = _import_module(stmt)
        if found is None:
            if i == 0 and isinstance(stmt, cst.SimpleStatementLine):
                small = stmt.body[0]
                if isinstance(small, cst.Expr) and isinstance(small.value, cst.SimpleString):
                    top = 1  # the module docstring
                    continue
            break
        imports.append((i, found[0], found[1]))
        top = i + 1
    ours = [
        (i, m)
        for i, m, is_from in imports
        if is_from and not m.startswith(".") and m.partition(".")[0] in first_party
    ]
    stmt = cst.parse_statement(line + "\n")
    if ours:
        after = [i for i, m in ours if _sort_key(m) <= _sort_key(module)]
        index = (after[-1] + 1) if after else ours[0][0]
        if not after:
            # Going first in the block: take over the blank lines before it.
            first = body[index]
            assert isinstance(first, cst.SimpleStatementLine)
            stmt = stmt.with_changes(leading_lines=first.leading_lines)
            body[index] = first.with_changes(leading_lines=())
        body.insert(index, stmt)
        return body
    if not imports:
        body.insert(top, stmt.with_changes(leading_lines=[cst.EmptyLine()] if top else []))
        return body
    body.insert(top, stmt.with_changes(leading_lines=[cst.EmptyLine()]))
    return body
