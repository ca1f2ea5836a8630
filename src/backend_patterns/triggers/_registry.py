"""The registry of trigger kinds: the one place a kind is made known to the schema, the
preparation and the matcher. The bundled kinds are registered here; a pack's rules may use
any registered kind.
"""

from __future__ import annotations

from ._base import Kind
from .code import Code
from .finding import Finding
from .intent import Intent
from .keyword import Keyword
from .negative import Negative
from .path import Path

KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Make ``kind`` known by its name (a second kind of the same name replaces the first)."""
    if not kind.name:
        raise ValueError("a trigger kind needs a name")
    KINDS[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    """Forget the kind ``name`` (for tests that register a kind of their own)."""
    KINDS.pop(name, None)


def kinds() -> dict[str, Kind]:
    """Every registered kind, the bundled ones included."""
    return KINDS


for _kind in (Keyword(), Intent(), Path(), Code(), Negative(), Finding()):
    register(_kind)
