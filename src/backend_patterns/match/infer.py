"""Inferring render parameters from a task: "CRUD endpoints for invoices" -> resource=Invoice."""

from __future__ import annotations

import re
from collections.abc import Callable

from ..inflect import pascal
from ..pack import PatternSpec

_STOP = {
    "a",
    "an",
    "the",
    "this",
    "that",
    "these",
    "my",
    "our",
    "your",
    "all",
    "every",
    "each",
    "new",
    "basic",
    "simple",
    "usual",
    "existing",
    "same",
    "other",
    "api",
    "rest",
    "crud",
    "db",
    "database",
    "model",
    "table",
    "entity",
    "resource",
    "endpoint",
    "endpoints",
    "route",
    "routes",
    "router",
    "service",
    "services",
    "class",
    "it",
    "them",
    "me",
    "us",
    "fastapi",
    "sqlalchemy",
    "postgres",
    "websocket",
    "websockets",
    "jsonb",
    "json",
    "http",
    "backend",
    "frontend",
    "app",
    "module",
    "v1",
    "v2",
    "api/v1",
    "admin",
    "users'",
    "user's",
    "both",
}
# Every regex of this module, by name. They are case-sensitive; the pack cache keeps them
# compiled (see _prepare.py) so that a prompt pays nothing to parse them.
SOURCES: dict[str, str] = {
    # XService / the Invoice model / the Vendor table / the Team entity
    "service": r"\b([A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)*?)(?:Service|Srvice|Servcie|Repository)\b",
    "named": r"\b(?:the|a|an)\s+([A-Z][A-Za-z0-9]+)\s+(?:model|table|entity|resource|class)\b",
    # CRUD endpoints for invoices / routes for tags / service layer for orders
    "for": r"\b(?:for|of|on|manage|managing|expose)\s+(?:the\s+|all\s+|our\s+|my\s+)?"
    r"([A-Za-z][A-Za-z0-9_]+)\b",
    # /api/v1/warehouses, /projects/{project_id}
    "url": r"(?:^|[\s(\"'`])/(?:api/)?(?:v\d+/)?([a-z][a-z0-9_-]+)(?:/|\b)",
    "code_service": r"class\s+([A-Z][A-Za-z0-9]+?)Service\b",
    "code_router": r"APIRouter\([^)]*prefix\s*=\s*[\"']/([a-z][a-z0-9_-]+)",
    "code_model": r"class\s+([A-Z][A-Za-z0-9]+)\((?:Base|DeclarativeBase|SQLModel)\b",
    # agent.agent_metadata["k"] / order.extra['shipping']: the owner and the JSON attribute
    "attribute": r"\b([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)\s*\[",
    "path": r"([a-z][a-z0-9_]+?)(?:_service|_router|_routes|_api)?\.py\Z",
    "uuid": r"\buuids?\b",
    "redis": r"\bredis\b|\b(several|multiple|many)\s+(workers|processes|instances|servers|pods)\b",
}
_TASK_ENTITY = ("service", "named", "for", "url")
_CODE_ENTITY = ("code_service", "code_router", "code_model")
_RESERVED_COLUMNS = {"metadata", "registry", "id", "environ", "headers", "cookies", "state"}
Compile = Callable[[str], "re.Pattern[str]"]


def source(name: str) -> str:
    """The source of regex ``name`` as the pack cache compiles it (case-sensitive)."""
    return f"(?-i:{SOURCES[name]})"


def _default_compile(text: str) -> re.Pattern[str]:
    return re.compile(text, re.IGNORECASE)


_SKIP_PATH = {
    "__init__",
    "main",
    "app",
    "routes",
    "router",
    "api",
    "service",
    "services",
    "models",
    "schemas",
    "deps",
    "helpers",
    "utils",
    "jsonb_helpers",
    "chat",
}


def _candidate(word: str) -> str | None:
    if not word or word.lower() in _STOP or len(word) < 3 or word.isdigit():
        return None
    name = pascal(word)
    return name if re.fullmatch(r"[A-Z][A-Za-z0-9]{1,40}", name) else None


def infer_resource(
    task: str, code: str | None, path: str | None, compile: Compile = _default_compile
) -> str | None:
    for name in _TASK_ENTITY:
        for match in compile(source(name)).finditer(task):
            if candidate := _candidate(match.group(1)):
                return candidate
    if code:
        for name in _CODE_ENTITY:
            found = compile(source(name)).search(code)
            if found and (candidate := _candidate(found.group(1))):
                return candidate
    if path:
        leaf = path.replace("\\", "/").rsplit("/", 1)[-1]
        found = compile(source("path")).search(leaf)
        if (
            found
            and found.group(1) not in _SKIP_PATH
            and (candidate := _candidate(found.group(1)))
        ):
            return candidate
    return None


def infer_params(
    pattern: PatternSpec,
    task: str,
    code: str | None = None,
    path: str | None = None,
    compile: Compile = _default_compile,
) -> dict[str, str]:
    """The parameters of ``pattern`` that the task, code or path state clearly enough.

    ``compile`` turns a regex source into a pattern; the matcher passes its cache of
    precompiled programs.
    """
    declared = {p.name: p for p in pattern.params}
    out: dict[str, str] = {}
    if "resource" in declared:
        name = infer_resource(task, code, path, compile)
        if name:
            out["resource"] = name
    if "column" in declared:
        attribute = compile(source("attribute"))
        found = attribute.search(task) or (attribute.search(code) if code else None)
        if found and found.group(2) not in _RESERVED_COLUMNS:
            out["column"] = found.group(2)
            if "resource" in declared and (owner := _candidate(found.group(1))):
                out["resource"] = owner
    lowered = task.lower()
    id_type = declared.get("id_type")
    if (
        id_type is not None
        and "uuid" in id_type.choices
        and compile(source("uuid")).search(lowered)
    ):
        out["id_type"] = "uuid"
    backplane = declared.get("backplane")
    if (
        backplane is not None
        and "redis" in backplane.choices
        and compile(source("redis")).search(lowered)
    ):
        out["backplane"] = "redis"
    return {name: out[name] for name in declared if name in out}
