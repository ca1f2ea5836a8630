"""An Alembic revision for the tables ``bap add`` creates, made without a database.

The new models are our own rendering: they are rendered once more against a fresh declarative
base that carries the project's naming convention (read statically from its base class, never
imported), executed in isolation, and their tables turned into Alembic operations by Alembic's
own renderer. The revision follows the current head(s), found by reading the revision files.
Only the bundled pack's patterns are executed so; for any other pack, and when Alembic or
SQLAlchemy is missing here, the plan says which command makes the revision instead.
"""

from __future__ import annotations

import ast
import configparser
import hashlib
import posixpath
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import BapError

BASE_MODULE = "_bap_alembic_base"


def versions_folder(root: Path, ini: str) -> str:
    """The POSIX path (relative to ``root``) of the revisions folder named by ``ini``."""
    parser = configparser.RawConfigParser()
    try:
        parser.read_string((root / ini).read_text("utf-8")[:200_000])
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        raise BapError(f"{ini} cannot be read: {exc}.") from None
    location = parser.get("alembic", "script_location", fallback="alembic")
    location = location.replace("%(here)s", str(root))
    folder = (root / location).resolve()
    if not folder.is_relative_to(root.resolve()):
        raise BapError(f"{ini}: script_location {location!r} is outside the project.")
    versions = parser.get("alembic", "version_locations", fallback="").split()
    if versions:
        folder = (root / versions[0].replace("%(here)s", str(root))).resolve()
        if not folder.is_relative_to(root.resolve()):
            raise BapError(f"{ini}: version_locations is outside the project.")
        return folder.relative_to(root.resolve()).as_posix()
    return posixpath.join(folder.relative_to(root.resolve()).as_posix(), "versions")


def _literal(node: ast.expr | None) -> Any:
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def heads(folder: Path) -> list[str]:
    """The revisions no other revision follows."""
    revisions: set[str] = set()
    follows: set[str] = set()
    for path in sorted(folder.glob("*.py")) if folder.is_dir() else []:
        if path.is_symlink() or path.stat().st_size > 1024 * 1024:
            continue
        try:
            tree = ast.parse(path.read_text("utf-8"))
        except (SyntaxError, ValueError, UnicodeDecodeError, OSError):
            continue
        values: dict[str, Any] = {}
        for stmt in tree.body:
            target = (
                stmt.targets[0]
                if isinstance(stmt, ast.Assign)
                else stmt.target
                if isinstance(stmt, ast.AnnAssign)
                else None
            )
            if isinstance(target, ast.Name) and isinstance(stmt, ast.Assign | ast.AnnAssign):
                values[target.id] = _literal(stmt.value)
        if isinstance(values.get("revision"), str):
            revisions.add(values["revision"])
            down = values.get("down_revision")
            follows.update([down] if isinstance(down, str) else list(down or ()))
    return sorted(revisions - follows)


def naming_convention(text: str, name: str) -> dict[str, str] | None:
    """The ``naming_convention`` literal of the base class ``name`` in module ``text``."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    names = {
        t.id: stmt.value
        for stmt in tree.body
        if isinstance(stmt, ast.Assign)
        for t in stmt.targets
        if isinstance(t, ast.Name)
    }

    def from_call(call: ast.expr | None) -> dict[str, str] | None:
        if not isinstance(call, ast.Call):
            return None
        for kw in call.keywords:
            if kw.arg == "naming_convention":
                value = names.get(kw.value.id) if isinstance(kw.value, ast.Name) else kw.value
                found = _literal(value)
                return found if isinstance(found, dict) else None
            if kw.arg == "metadata":
                return from_call(kw.value)
        return None

    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == name:
            for item in stmt.body:
                if (
                    isinstance(item, ast.Assign)
                    and isinstance(item.targets[0], ast.Name)
                    and item.targets[0].id == "metadata"
                ):
                    return from_call(item.value)
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in stmt.targets
        ):
            return from_call(stmt.value)
    return None


def _tables(sources: list[str], convention: dict[str, str] | None) -> list[Any]:
    """The tables our rendered model modules declare, on a fresh base with ``convention``."""
    import sqlalchemy as sa
    from sqlalchemy.orm import DeclarativeBase

    metadata = sa.MetaData(naming_convention=convention) if convention else sa.MetaData()
    base_module = types.ModuleType(BASE_MODULE)
    base = type("Base", (DeclarativeBase,), {"metadata": metadata, "__module__": BASE_MODULE})
    base_module.Base = base  # type: ignore[attr-defined]
    saved = sys.modules.get(BASE_MODULE)
    sys.modules[BASE_MODULE] = base_module
    try:
        for i, source in enumerate(sources):
            name = f"_bap_alembic_models_{i}"
            module = types.ModuleType(name)
            sys.modules[name] = module
            try:
                exec(compile(source, f"<{name}>", "exec"), module.__dict__)
            finally:
                sys.modules.pop(name, None)
    finally:
        if saved is None:
            sys.modules.pop(BASE_MODULE, None)
        else:
            sys.modules[BASE_MODULE] = saved
    return list(metadata.sorted_tables)


def revision(
    sources: list[str],
    convention: dict[str, str] | None,
    message: str,
    down: list[str],
    format_code: Callable[[str], str] | None = None,
) -> tuple[str, str]:
    """``(revision id, file text)`` of a revision creating the tables of ``sources``."""
    from alembic.autogenerate import render_python_code
    from alembic.operations import ops
    from alembic.runtime.migration import MigrationContext

    tables = _tables(sources, convention)
    if not tables:
        raise BapError("the rendered models declare no table.")
    context = MigrationContext.configure(dialect_name="postgresql")
    up: list[Any] = []
    back: list[Any] = []
    for table in tables:
        up.append(ops.CreateTableOp.from_table(table))
        up.extend(ops.CreateIndexOp.from_index(i) for i in sorted(table.indexes, key=str))
    for table in reversed(tables):
        back.extend(ops.DropIndexOp.from_index(i) for i in sorted(table.indexes, key=str))
        back.append(ops.DropTableOp.from_table(table))
    upgrade = render_python_code(ops.UpgradeOps(ops=up), migration_context=context)
    downgrade = render_python_code(ops.DowngradeOps(ops=back), migration_context=context)
    digest = hashlib.sha256("".join(sources).encode() + "".join(down).encode()).hexdigest()
    rev = digest[:12]
    down_value = repr(down[0]) if len(down) == 1 else (repr(tuple(down)) if down else "None")
    dialects = "postgresql." in upgrade
    text = (
        f'"""{message}\n\nRevision ID: {rev}\nRevises: {", ".join(down) or "-"}\n"""\n\n'
        "from collections.abc import Sequence\n\n"
        "import sqlalchemy as sa\n"
        "from alembic import op\n"
        + ("from sqlalchemy.dialects import postgresql\n" if dialects else "")
        + f'\nrevision: str = "{rev}"\n'
        f"down_revision: str | Sequence[str] | None = {down_value}\n"
        "branch_labels: str | Sequence[str] | None = None\n"
        "depends_on: str | Sequence[str] | None = None\n\n\n"
        f"def upgrade() -> None:\n    {_body(upgrade)}\n\n\n"
        f"def downgrade() -> None:\n    {_body(downgrade)}\n"
    )
    return rev, format_code(text) if format_code else text


def _body(code: str) -> str:
    """Alembic's rendering without its banner comments."""
    lines = [line for line in code.strip().splitlines() if not line.strip().startswith("# ###")]
    return "\n".join(lines).strip()
