"""What a file contributes to a project's wiring, as plain data for the project index.

FastAPI apps (module level or built by a factory), routers, ``include_router`` calls, session
dependencies (functions yielding a session, and ``Annotated[..., Depends(f)]`` aliases),
settings objects, environment variables read, and each model's table name. ``bap init``
reads these through the project model to record a project's conventions.
"""

from __future__ import annotations

import ast
from typing import Any

from ._names import dotted, last

SESSION_TYPES = frozenset({"AsyncSession", "Session"})
SETTINGS_BASES = frozenset({"BaseSettings"})


def _mentions(node: ast.AST | None, names: frozenset[str]) -> str | None:
    """The first of ``names`` written anywhere in the annotation ``node``."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return next((n for n in names if n in node.value), None)
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and sub.id in names:
            return sub.id
        if isinstance(sub, ast.Attribute) and sub.attr in names:
            return sub.attr
    return None


def _depends_target(node: ast.expr) -> str | None:
    """``f`` of ``Annotated[T, Depends(f)]``."""
    if not (isinstance(node, ast.Subscript) and last(dotted(node.value)) == "Annotated"):
        return None
    items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    for item in items[1:]:
        if isinstance(item, ast.Call) and last(dotted(item.func)) == "Depends" and item.args:
            return dotted(item.args[0])
    return None


def _session_function(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """The session type a dependency function gives (from its return annotation), if any."""
    found = _mentions(fn.returns, SESSION_TYPES)
    if found is None:
        return None
    has_yield = any(isinstance(n, ast.Yield | ast.YieldFrom) for n in ast.walk(fn))
    return found if has_yield or isinstance(fn, ast.AsyncFunctionDef) else None


def _is_call_of(node: ast.expr | None, name: str) -> bool:
    return isinstance(node, ast.Call) and last(dotted(node.func)) == name


def wiring(tree: ast.Module, body: list[ast.stmt]) -> dict[str, Any]:
    """The wiring facts of one file; ``body`` is its module-level statements (blocks entered)."""
    apps: list[list[Any]] = []
    routers: list[list[Any]] = []
    includes: list[list[Any]] = []
    sessions: list[list[Any]] = []
    settings: list[list[Any]] = []
    settings_classes: set[str] = set()
    tables: dict[str, str] = {}
    env: set[str] = set()
    for stmt in body:
        if isinstance(stmt, ast.ClassDef):
            if any(last(dotted(b)) in SETTINGS_BASES for b in stmt.bases):
                settings_classes.add(stmt.name)
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            kind = _session_function(stmt)
            if kind is not None:
                sessions.append([stmt.name, stmt.lineno, "function", "", kind == "AsyncSession"])
            returns = last(dotted(stmt.returns)) if stmt.returns is not None else None
            makes_app = returns == "FastAPI" or any(
                isinstance(n, ast.Assign | ast.AnnAssign | ast.Return)
                and _is_call_of(n.value, "FastAPI")
                for n in ast.walk(stmt)
            )
            if makes_app:
                apps.append([stmt.name, stmt.lineno, "factory"])
    for stmt in body:
        if isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            value = stmt.value
            for name in names:
                if _is_call_of(value, "FastAPI"):
                    apps.append([name, stmt.lineno, "module"])
                elif _is_call_of(value, "APIRouter"):
                    routers.append([name, stmt.lineno])
                elif isinstance(value, ast.Call) and (dotted(value.func) or "") in {
                    *settings_classes,
                    "get_settings",
                }:
                    settings.append([name, stmt.lineno, dotted(value.func) or ""])
                elif (  # app = create_app(): the app object of a factory defined here
                    isinstance(value, ast.Call)
                    and isinstance(value.func, ast.Name)
                    and any(a[0] == value.func.id and a[2] == "factory" for a in apps)
                ):
                    apps.append([name, stmt.lineno, "module"])
                provider = _depends_target(value)
                kind = _mentions(value, SESSION_TYPES) if provider else None
                if provider and kind:
                    sessions.append([name, stmt.lineno, "alias", provider, kind == "AsyncSession"])
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "include_router":
                includes.append([dotted(func.value) or "?", node.lineno])
            elif last(dotted(func)) in {"getenv", "get"} and node.args:
                arg = node.args[0]
                owner = dotted(func.value) if isinstance(func, ast.Attribute) else None
                if (
                    isinstance(arg, ast.Constant)
                    and isinstance(arg.value, str)
                    and (owner or "").endswith(("os", "environ"))
                ):
                    env.add(arg.value)
        elif isinstance(node, ast.Subscript) and dotted(node.value) in {"os.environ", "environ"}:
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                env.add(key.value)
        elif isinstance(node, ast.ClassDef):
            for stmt in node.body:
                if (
                    isinstance(stmt, ast.Assign | ast.AnnAssign)
                    and isinstance(stmt.value, ast.Constant)
                    and isinstance(stmt.value.value, str)
                ):
                    target = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target
                    if isinstance(target, ast.Name) and target.id == "__tablename__":
                        tables[node.name] = stmt.value.value
    return {
        "apps": apps,
        "routers": routers,
        "includes": includes,
        "sessions": sessions,
        "settings": settings,
        "settings_classes": sorted(settings_classes),
        "tables": tables,
        "env": sorted(env),
    }
