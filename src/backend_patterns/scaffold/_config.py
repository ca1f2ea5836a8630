"""``[tool.bap]`` in ``pyproject.toml``: the conventions ``bap init`` records and ``bap add``
reads. Read with tomllib; written with tomlkit, so the user's formatting and comments stay."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from .._fs import read_text_bounded
from ..errors import BapError
from ..project.conventions import Conventions

PYPROJECT = "pyproject.toml"
_KEYS = {
    "layout",
    "package",
    "import-root",
    "app",
    "app-kind",
    "include",
    "base",
    "session",
    "session-kind",
    "session-provider",
    "settings",
    "database-url",
    "tests",
    "alembic",
    "router-file",
    "paths",
}
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
_REF = re.compile(_DOTTED.pattern + r":[A-Za-z_]\w*")
LAYOUTS = ("flat", "package", "src", "domain", "layered", "empty")


def _read(root: Path) -> str | None:
    path = root / PYPROJECT
    if not path.exists() and not path.is_symlink():
        return None
    if path.is_symlink() or not path.is_file():
        raise BapError(f"{path} is not a regular file; it is not read.")
    try:
        return read_text_bounded(path, 2 * 1024 * 1024)
    except (OSError, UnicodeDecodeError) as exc:
        raise BapError(f"cannot read {path}: {exc}.") from None


def recorded(root: Path) -> Conventions | None:
    """The conventions recorded in ``root``'s pyproject.toml, or None when there are none."""
    text = _read(root)
    if text is None:
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BapError(f"{root / PYPROJECT} is not valid TOML: {exc}.") from None
    table = data.get("tool", {}).get("bap", {})
    if not isinstance(table, dict) or "layout" not in table:
        return None
    conv = Conventions()
    for key, value in table.items():
        if key not in _KEYS:
            continue
        if key == "paths":
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                raise BapError("[tool.bap] paths must be a table of strings.")
            conv.paths = {str(k): v for k, v in value.items()}
            continue
        if not isinstance(value, str):
            raise BapError(f"[tool.bap] {key} must be a string, not {value!r}.")
        for part in Path(value).parts if key in {"tests", "import-root", "alembic"} else ():
            if part == ".." or Path(value).is_absolute():
                raise BapError(f"[tool.bap] {key} must stay inside the project: {value!r}.")
        setattr(conv, key.replace("-", "_"), value)
    for key in ("app", "include", "base", "session", "session_provider", "settings"):
        value = getattr(conv, key)
        if value and not _REF.fullmatch(value):
            name = key.replace("_", "-")
            raise BapError(
                f"[tool.bap] {name} must be 'module:name' (e.g. app.db:Base): {value!r}."
            )
    if conv.package and not _DOTTED.fullmatch(conv.package):
        raise BapError(f"[tool.bap] package must be a dotted module name, not {conv.package!r}.")
    if not re.fullmatch(r"[A-Za-z_]\w*\.py", conv.router_file):
        raise BapError(f"[tool.bap] router-file must be a module file name: {conv.router_file!r}.")
    if conv.layout not in LAYOUTS:
        raise BapError(
            f"[tool.bap] layout must be one of {', '.join(LAYOUTS)}; not {conv.layout!r}."
        )
    for value in conv.paths.values():
        if ".." in Path(value).parts or Path(value).is_absolute():
            raise BapError(f"[tool.bap] paths must stay inside the project: {value!r}.")
    return conv


def with_recorded(root: Path, conv: Conventions) -> tuple[str | None, str]:
    """``(old text, new text)`` of ``root``'s pyproject.toml with ``conv`` recorded."""
    old = _read(root)
    return old, record(old, conv)


def record(old: str | None, conv: Conventions) -> str:
    """The pyproject text ``old`` with ``conv`` in ``[tool.bap]``: the keys bap init records
    are replaced, any other (``[tool.bap.lint]`` ...) is kept, and so is the formatting."""
    import tomlkit

    try:
        doc = tomlkit.parse(old) if old is not None else tomlkit.document()
    except tomlkit.exceptions.ParseError as exc:
        raise BapError(f"pyproject.toml is not valid TOML: {exc}.") from None
    tool: Any = doc.get("tool")
    if tool is None:
        tool = tomlkit.table(is_super_table=True)
        doc["tool"] = tool
    bap: Any = tool.get("bap")
    if bap is None:
        bap = tomlkit.table()
        tool["bap"] = bap
    for key in list(bap.keys()):
        if key in _KEYS:
            del bap[key]
    table = conv.as_table()
    paths = table.pop("paths", None)
    for key, value in table.items():
        bap[key] = value
    if paths:
        sub = tomlkit.table()
        for key, value in paths.items():
            sub[key] = value
        bap["paths"] = sub
    return tomlkit.dumps(doc)


def declare(old: str | None, runtime: list[str], tests: list[str]) -> str:
    """The pyproject text ``old`` with ``runtime`` added to ``[project] dependencies`` and
    ``tests`` to the ``dev`` group of ``[dependency-groups]``; formatting kept."""
    import tomlkit

    try:
        doc = tomlkit.parse(old) if old is not None else tomlkit.document()
    except tomlkit.exceptions.ParseError as exc:
        raise BapError(f"pyproject.toml is not valid TOML: {exc}.") from None
    if runtime:
        project: Any = doc.get("project")
        if project is None:
            raise BapError("pyproject.toml has no [project] table to declare dependencies in.")
        _extend(project, "dependencies", runtime)
    if tests:
        groups: Any = doc.get("dependency-groups")
        if groups is None:
            groups = tomlkit.table()
            doc["dependency-groups"] = groups
        _extend(groups, "dev", tests)
    return tomlkit.dumps(doc)


def _extend(table: Any, key: str, specs: list[str]) -> None:
    """Append ``specs`` to the array ``table[key]`` (made when missing), one a line."""
    import tomlkit

    array: Any = table.get(key)
    if array is None:
        array = tomlkit.array()
        table[key] = array
    for spec in specs:
        array.append(spec)
    if len(array) > 1:
        array.multiline(True)
