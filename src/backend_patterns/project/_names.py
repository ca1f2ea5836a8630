"""Dotted names of expressions: the small helpers the summary and wiring passes share."""

from __future__ import annotations

import ast


def dotted(node: ast.expr | None) -> str | None:
    """``a.b.C`` for ``a.b.C``, ``C`` for ``C``; None for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = dotted(node.value)
        return None if head is None else f"{head}.{node.attr}"
    return None


def last(name: str | None) -> str | None:
    return None if name is None else name.rpartition(".")[2]
