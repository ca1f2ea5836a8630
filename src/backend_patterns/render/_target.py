"""Where a rendering goes, and what its templates import: standalone or into a project.

A pattern's templates never name a module. They import through the context this module builds:

- ``mod``: for every role the rendering writes (``models``, ``router``, ``db`` ...), the dotted
  module of that file, e.g. ``models`` standalone or ``app.products.models`` in a project;
- ``base``: ``{"module", "name"}`` of the declarative base to subclass;
- ``session``: ``{"module", "name", "kind", "provider_module", "provider"}`` of the session
  dependency: ``kind`` is ``alias`` (``name`` is an ``Annotated[AsyncSession, Depends(...)]``
  alias to annotate with) or ``function`` (``name`` is the dependency to ``Depends()`` on);
  ``provider`` is the function tests override in ``app.dependency_overrides``;
- ``models``: the project's existing models by class name, each ``{"module", "table",
  "pk_type"}`` (for foreign keys); empty standalone;
- ``standalone``: True for ``bap render`` (the rendering brings its app, db module and
  pytest.ini), False for ``bap add`` (it joins the project's app and configuration).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from ..errors import BapError


@dataclass(frozen=True, slots=True)
class Ref:
    """A name in a module: ``from module import name``."""

    module: str
    name: str

    def as_dict(self) -> dict[str, str]:
        return {"module": self.module, "name": self.name}


@dataclass(frozen=True, slots=True)
class SessionRef:
    """The session dependency to use: an ``Annotated`` alias or a dependency function."""

    module: str
    name: str
    kind: str = "alias"  # "alias" | "function"
    provider: Ref | None = None  # the function behind the alias (what tests override)

    def as_dict(self) -> dict[str, str]:
        provider = self.provider or Ref(self.module, self.name)
        return {
            "module": self.module,
            "name": self.name,
            "kind": self.kind,
            "provider_module": provider.module,
            "provider": provider.name,
        }


@dataclass(frozen=True, slots=True)
class Target:
    """A rendering into a project: each role's path (POSIX, relative to the project root),
    the import root those paths are relative to (``""`` or ``"src"``), and what to reuse.

    Roles in ``existing`` are shared pieces the project already has (its db module): they are
    not written, and ``modules`` says where they are imported from instead.
    """

    paths: Mapping[str, str]
    base: Ref
    session: SessionRef
    import_root: str = ""
    existing: frozenset[str] = frozenset()
    modules: Mapping[str, str] = field(default_factory=dict)
    models: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


def module_of(path: str, import_root: str = "") -> str:
    """The dotted module of a ``.py`` file at POSIX ``path`` below ``import_root``."""
    pure = PurePosixPath(path)
    if import_root:
        try:
            pure = pure.relative_to(import_root)
        except ValueError:
            raise BapError(f"{path} is not below the import root {import_root}/.") from None
    parts = list(pure.with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def standalone_context(paths: Mapping[str, str]) -> dict[str, Any]:
    """The import context of a standalone rendering whose roles land at ``paths``."""
    mod = {role: module_of(path) for role, path in paths.items() if path.endswith(".py")}
    db = mod.get("db", "db")
    return {
        "mod": mod,
        "base": Ref(db, "Base").as_dict(),
        "session": SessionRef(db, "SessionDep", provider=Ref(db, "get_session")).as_dict(),
        "models": {},
        "standalone": True,
    }


def project_context(target: Target, written: Mapping[str, str]) -> dict[str, Any]:
    """The import context of a rendering into a project; ``written`` maps each written role to
    its path."""
    root = PurePosixPath(target.import_root) if target.import_root else None
    mod = {
        role: module_of(path, target.import_root)
        for role, path in written.items()
        # a file outside the import root (tests/ of a src/ layout) is not imported by name
        if path.endswith(".py") and (root is None or PurePosixPath(path).is_relative_to(root))
    }
    mod.update(target.modules)
    return {
        "mod": mod,
        "base": target.base.as_dict(),
        "session": target.session.as_dict(),
        "models": {name: dict(info) for name, info in target.models.items()},
        "standalone": False,
    }
