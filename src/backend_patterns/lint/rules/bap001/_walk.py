"""BAP001, the walking helpers: ``ast.walk`` without its generators (same nodes, same order,
less the ``Load``/``Store``/``Del`` context markers), the statements nested in a statement,
and the text of a receiver. The analysis walks every statement it follows: this is its hot
loop. Stdlib only.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

# Fields that never hold a node (names, flags, numbers): not looked at.
_LEAF_FIELDS = frozenset(
    {
        "ctx",
        "id",
        "attr",
        "arg",
        "kind",
        "conversion",
        "is_async",
        "type_comment",
        "module",
        "level",
        "asname",
        "tag",
    }
)
_CHILD_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {ast.Constant: ()}
_BODY_FIELDS = ("body", "handlers", "orelse", "finalbody", "cases")
_STMT_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}


def _fields(cls: type[ast.AST]) -> tuple[str, ...]:
    fields = tuple(f for f in cls._fields if f not in _LEAF_FIELDS)
    _CHILD_FIELDS[cls] = fields
    return fields


def walk(node: ast.AST) -> list[ast.AST]:
    """Every node of ``node``'s subtree, breadth first as ``ast.walk`` yields them (without
    the expression-context markers)."""
    out = [node]
    i = 0
    cache = _CHILD_FIELDS
    node_type = ast.AST
    while i < len(out):
        n = out[i]
        i += 1
        cls = type(n)
        fields = cache.get(cls)
        if fields is None:
            fields = _fields(cls)
        for name in fields:
            value = getattr(n, name, None)
            if value.__class__ is list:
                out.extend([v for v in value if isinstance(v, node_type)])
            elif isinstance(value, node_type):
                out.append(value)
    return out


def calls(nodes: list[ast.AST]) -> list[ast.Call]:
    """The calls inside ``nodes``, in ``ast.walk`` order of each."""
    return [n for node in nodes for n in walk(node) if n.__class__ is ast.Call]


def child_statements(node: ast.AST) -> Iterator[list[ast.stmt]]:
    """The statement lists directly inside ``node`` (bodies, ``else``, ``finally``, each
    handler's and each ``case``'s body), in field order: where ``ast.iter_child_nodes`` would
    find statements."""
    cls = type(node)
    fields = _STMT_FIELDS.get(cls)
    if fields is None:
        fields = _STMT_FIELDS[cls] = tuple(f for f in cls._fields if f in _BODY_FIELDS)
    for name in fields:
        items = getattr(node, name, None) or []
        if name in {"handlers", "cases"}:
            for item in items:
                yield item.body
        else:
            yield items


def text(node: ast.expr) -> str:
    """``ast.unparse(node)``, without the unparser for a name or a dotted name."""
    if node.__class__ is ast.Name:
        return node.id
    parts: list[str] = []
    cur: ast.expr = node
    while isinstance(cur, ast.Attribute):
        parts.append(cur.attr)
        cur = cur.value
    if isinstance(cur, ast.Name) and parts:
        parts.append(cur.id)
        return ".".join(reversed(parts))
    return ast.unparse(node)
