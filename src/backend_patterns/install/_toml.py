"""Codex's ``config.toml``: our ``[mcp_servers.backend-api-patterns]`` table, merged with tomlkit.

tomlkit keeps the user's comments, order and spacing, so adding and then removing our table gives
back the bytes the file had.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._fs import read_text_bounded
from ..pack import SKILL_NAME
from ._claude import JSON_MAX, Report
from ._commands import InstallError, mcp_entry, our_mcp
from ._plan import Plan

KEY = "mcp_servers"


def _load(path: Path) -> tuple[Any, str | None]:
    import tomlkit
    from tomlkit.exceptions import ParseError

    try:
        text = read_text_bounded(path, JSON_MAX, follow_symlinks=True)
    except FileNotFoundError:
        return tomlkit.document(), None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InstallError(f"cannot read {path} ({reason}); nothing was changed.") from None
    try:
        return tomlkit.parse(text), text
    except ParseError as exc:
        raise InstallError(
            f"{path} is not valid TOML (line {exc.line}, column {exc.col}); nothing was changed.",
            hint="Fix or remove the file and run the command again.",
        ) from None


def plan_toml(
    plan: Plan,
    path: Path,
    report: Report,
    *,
    add: bool,
    plan_text: Callable[[Plan, Path, str | None, str | None, Report], None],
) -> None:
    import tomlkit

    doc, text = _load(path)
    servers = doc.get(KEY)
    if servers is not None and not isinstance(servers, dict):
        raise InstallError(f"'{KEY}' in {path} is not a table; nothing was changed.")
    current: Any = servers.get(SKILL_NAME) if servers is not None else None
    plain = current.unwrap() if hasattr(current, "unwrap") else current
    if add:
        if current is not None:
            if not our_mcp(plain):
                report.kept.append(f"{path}: your own '{KEY}.{SKILL_NAME}' table")
            else:
                report.unchanged.append(str(path))
            return
        if servers is None:
            servers = tomlkit.table(is_super_table=True)
            doc.add(KEY, servers)
        table = tomlkit.table()
        for key, value in mcp_entry().items():
            table.add(key, value)
        servers.add(SKILL_NAME, table)
        new = tomlkit.dumps(doc)
        plan_text(plan, path, new if text else new.lstrip("\n"), text, report)
        return
    if servers is None or current is None or not our_mcp(plain):
        if text is not None:
            report.unchanged.append(str(path))
        return
    del servers[SKILL_NAME]
    if not servers:
        del doc[KEY]
    new = tomlkit.dumps(doc).rstrip("\n")
    plan_text(plan, path, new + "\n" if new.strip() else None, text, report)
