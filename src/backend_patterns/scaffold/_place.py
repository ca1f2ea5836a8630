"""Where each file of a pattern goes in a project, by its recorded conventions."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import BapError
from ..inflect import snake
from ..pack import FileSpec
from ..project.conventions import Conventions
from ..render import Ref, SessionRef, Target, module_of

# Roles placed by kind of file in a layered project: role -> (key of Conventions.paths, name).
_LAYERED = {
    "models": ("models", "{one}.py"),
    "schemas": ("schemas", "{one}.py"),
    "router": ("router", "{many}.py"),
    "service": ("service", "{one}.py"),
    "errors": ("service", "{one}_errors.py"),
    "ops": ("service", "{one}_jsonb.py"),
}


def _ref(value: str, what: str) -> Ref:
    module, sep, name = value.partition(":")
    if not sep or not module or not name.isidentifier():
        raise BapError(f"[tool.bap] {what} must be 'module:name', not {value!r}.")
    return Ref(module, name)


def folder_of(values: Mapping[str, Any], pattern: str) -> str:
    """The folder (and file stem) a rendering's own files are named after."""
    for key in ("plural", "table"):
        value = values.get(key)
        if isinstance(value, str) and value:
            return value
    return "realtime" if pattern == "websocket_handler" else snake(pattern)


def target_for(
    root: Path,
    conv: Conventions,
    pattern: str,
    values: Mapping[str, Any],
    files: Sequence[tuple[FileSpec, str]],
) -> tuple[Target, list[str]]:
    """The Target of rendering ``files`` (each spec with its standalone path) into the project
    at ``root``, and the ``__init__.py`` files new packages need."""
    pkg = posixpath.join(conv.import_root, conv.package) if conv.package else conv.import_root
    many = folder_of(values, pattern)
    one = snake(str(values.get("resource") or many))
    own = posixpath.join(pkg, many) if pkg else many
    paths: dict[str, str] = {}
    existing: set[str] = set()
    modules: dict[str, str] = {}
    packages: set[str] = set()
    reuse_db = bool(conv.base and conv.session)
    for spec, standalone in files:
        role = spec.role
        if not role:
            raise BapError(
                f"pattern {pattern} names no role for {standalone}; it cannot be added."
            )
        if spec.standalone:
            continue
        name = posixpath.basename(standalone)
        if spec.tests:
            path = posixpath.join(conv.tests, name)
        elif role == "db":
            if reuse_db:
                existing.add(role)
                continue
            path = posixpath.join(pkg, "db.py") if pkg else "db.py"
        elif spec.shared:
            path = posixpath.join(pkg, standalone) if pkg else standalone
            if (root / path).is_file():
                existing.add(role)
                modules[role] = module_of(path, conv.import_root)
                continue
        elif conv.layout == "layered" and role in _LAYERED:
            key, pattern_name = _LAYERED[role]
            folder = conv.paths.get(key) or posixpath.join(pkg, key)
            path = posixpath.join(folder, pattern_name.format(one=one, many=many))
        else:
            if role == "router" and conv.layout == "domain":
                name = conv.router_file
            path = posixpath.join(own, name)
        paths[role] = path
        if not spec.tests and path.endswith(".py"):
            packages.add(posixpath.dirname(path))
    inits = _missing_inits(root, packages, conv.import_root)
    if reuse_db:
        base = _ref(conv.base, "base")
        session_ref = _ref(conv.session, "session")
        provider = _ref(conv.session_provider or conv.session, "session-provider")
        session = SessionRef(
            session_ref.module, session_ref.name, conv.session_kind or "alias", provider
        )
    else:
        db = module_of(paths["db"], conv.import_root) if "db" in paths else "db"
        base = Ref(db, "Base")
        session = SessionRef(db, "SessionDep", "alias", Ref(db, "get_session"))
    target = Target(
        paths=paths,
        base=base,
        session=session,
        import_root=conv.import_root,
        existing=frozenset(existing),
        modules=modules,
    )
    return target, inits


def _missing_inits(root: Path, folders: set[str], import_root: str) -> list[str]:
    """``__init__.py`` files to create so every folder in ``folders`` is a package."""
    out: set[str] = set()
    for folder in folders:
        parts = Path(folder).parts
        skip = len(Path(import_root).parts) if import_root else 0
        for i in range(skip + 1, len(parts) + 1):
            init = posixpath.join(*parts[:i], "__init__.py")
            if not (root / init).exists():
                out.add(init)
    return sorted(out)
