"""Claude Code's JSON files: our hooks in ``.claude/settings.json``, our server in ``.mcp.json``.

Every merge keeps what the user has and is idempotent; every write is atomic and keeps the
previous file as ``*.bak``; removal takes out exactly the entries the merge adds.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._fs import backup, read_text_bounded, write_atomic
from ..errors import BapError
from ..pack import SKILL_NAME

HOOK_MATCHER = "Write|Edit|MultiEdit"
# event -> (matcher or None, hook argument)
HOOKS: dict[str, tuple[str | None, str]] = {
    "UserPromptSubmit": (None, "prompt"),
    "PreToolUse": (HOOK_MATCHER, "pre-tool"),
    "PostToolUse": (HOOK_MATCHER, "post-tool"),
}
MODULE_COMMAND = "-m backend_patterns"
JSON_MAX = 64 * 1024 * 1024  # a settings file larger than this is not one we wrote into


class InstallError(BapError):
    """A settings file we will not touch, or a pack we cannot copy."""


@dataclass
class Report:
    """What an install or uninstall did, for the CLI to print."""

    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # user-edited pack files left alone


def interpreter() -> str:
    """The absolute path of the running interpreter, as the hooks must call it.

    Made absolute but not symlink-resolved: a virtualenv's ``bin/python`` is a symlink, and
    resolving it would run the base interpreter without the virtualenv's packages.
    ``sys.executable`` is already the real interpreter under version managers, whose shims
    ``exec`` it.
    """
    if not sys.executable:
        raise InstallError("cannot tell which Python is running (sys.executable is empty).")
    return str(Path(sys.executable).absolute())


def hook_command(argument: str, python: str | None = None) -> str:
    import shlex

    return f"{shlex.quote(python or interpreter())} {MODULE_COMMAND} hook {argument}"


def _is_ours(command: Any, argument: str) -> bool:
    """Whether ``command`` runs our hook ``argument``, with any interpreter and options."""
    if not isinstance(command, str):
        return False
    _, sep, options = command.partition(f" {MODULE_COMMAND} hook {argument}")
    return bool(sep) and options.strip() in {"", "--deny"}


# ---- JSON files -------------------------------------------------------------------------------


def load_json(path: Path) -> tuple[dict[str, Any], str | None]:
    """The JSON object in ``path`` ({} when absent) and its text. Refuses anything else."""
    try:
        # A dotfiles-managed settings file is a symlink: read through it; a FIFO is refused.
        text = read_text_bounded(path, JSON_MAX, follow_symlinks=True)
    except FileNotFoundError:
        return {}, None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise InstallError(f"cannot read {path} ({reason}); nothing was changed.") from None
    except UnicodeDecodeError as exc:
        raise InstallError(f"cannot read {path} ({exc}); nothing was changed.") from None
    if not text.strip():
        return {}, text
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InstallError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg}); nothing was changed.",
            hint="Fix or remove the file and run the command again.",
        ) from None
    if not isinstance(data, dict):
        raise InstallError(f"{path} does not hold a JSON object; nothing was changed.")
    return data, text


def _indent(text: str | None) -> int | str:
    """The indentation the file already uses, so a rewrite changes only what it must."""
    for line in (text or "").splitlines()[1:]:
        stripped = line.lstrip(" \t")
        if stripped and len(stripped) < len(line):
            lead = line[: len(line) - len(stripped)]
            return lead if "\t" in lead else len(lead)
    return 2


def _copy(data: dict[str, Any]) -> dict[str, Any]:
    import copy

    return copy.deepcopy(data)


def _dump(data: dict[str, Any], like: str | None) -> str:
    return json.dumps(data, indent=_indent(like), ensure_ascii=False) + "\n"


def _cannot_write(path: Path, exc: OSError) -> InstallError:
    return InstallError(f"cannot write {exc.filename or path} ({exc.strerror or exc}).")


def atomic_write(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step, keeping the old file as ``<name>.bak``."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text, backup_suffix=".bak")
    except OSError as exc:
        raise _cannot_write(path, exc) from None


def retire(path: Path) -> None:
    """Remove ``path``, which holds only what we added, keeping it as ``<name>.bak``."""
    try:
        backup(path, ".bak")
        path.unlink()
    except OSError as exc:
        raise _cannot_write(path, exc) from None


def save_json(path: Path, data: dict[str, Any], old_text: str | None, report: Report) -> None:
    if old_text is not None and not data and not old_text.strip():
        report.unchanged.append(str(path))
        return
    new_text = _dump(data, old_text)
    if new_text == old_text:
        report.unchanged.append(str(path))
        return
    atomic_write(path, new_text)
    report.changed.append(str(path))


# ---- settings.json hooks ----------------------------------------------------------------------


def merge_hooks(settings: dict[str, Any], python: str, *, deny: bool = False) -> dict[str, Any]:
    """``settings`` with our three hooks added once; everything else kept as it is.

    A hook already there gets the current interpreter and keeps its ``--deny``; ``deny`` adds
    ``--deny`` to the PreToolUse hook.
    """
    out = _copy(settings)
    hooks = out.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise InstallError("'hooks' in settings.json is not an object; nothing was changed.")
    for event, (matcher, argument) in HOOKS.items():
        groups = hooks.setdefault(event, [])
        if not isinstance(groups, list):
            raise InstallError(
                f"'hooks.{event}' in settings.json is not a list; nothing was changed."
            )
        command = hook_command(argument, python)
        strict = f"{command} --deny" if argument == "pre-tool" else command
        present = False
        for group in groups:
            if not isinstance(group, dict) or not isinstance(group.get("hooks"), list):
                continue
            for handler in group["hooks"]:
                if isinstance(handler, dict) and _is_ours(handler.get("command"), argument):
                    kept = str(handler["command"]).endswith(" --deny")
                    handler["command"] = strict if deny or kept else command
                    present = True
        if not present:
            group = {"hooks": [{"type": "command", "command": strict if deny else command}]}
            if matcher is not None:
                group = {"matcher": matcher, **group}
            groups.append(group)
    return out


def remove_hooks(settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` without the hooks ``merge_hooks`` adds, and without what that empties."""
    out = _copy(settings)
    hooks = out.get("hooks")
    if not isinstance(hooks, dict):
        return out
    for event, (_, argument) in HOOKS.items():
        groups = hooks.get(event)
        if not isinstance(groups, list):
            continue
        kept_groups = []
        for group in groups:
            if isinstance(group, dict) and isinstance(group.get("hooks"), list):
                before = len(group["hooks"])
                group["hooks"] = [
                    h
                    for h in group["hooks"]
                    if not (isinstance(h, dict) and _is_ours(h.get("command"), argument))
                ]
                if before and not group["hooks"]:
                    continue  # the group held only our hook: it was ours
            kept_groups.append(group)
        if kept_groups:
            hooks[event] = kept_groups
        else:
            del hooks[event]
    if not hooks:
        del out["hooks"]
    return out


# ---- .mcp.json --------------------------------------------------------------------------------


def mcp_entry(python: str | None = None) -> dict[str, Any]:
    return {"command": python or interpreter(), "args": ["-m", "backend_patterns", "mcp"]}


def merge_mcp(config: dict[str, Any], python: str) -> dict[str, Any]:
    out = _copy(config)
    servers = out.setdefault("mcpServers", {})
    if not isinstance(servers, dict):
        raise InstallError("'mcpServers' in .mcp.json is not an object; nothing was changed.")
    servers[SKILL_NAME] = mcp_entry(python)
    return out


def remove_mcp(config: dict[str, Any]) -> dict[str, Any]:
    out = _copy(config)
    servers = out.get("mcpServers")
    if isinstance(servers, dict) and SKILL_NAME in servers:
        del servers[SKILL_NAME]
        if not servers:
            del out["mcpServers"]
    return out


def claude_mcp_add_line(python: str | None = None, *, user: bool = False) -> str:
    import shlex

    scope = "user" if user else "project"
    return (
        f"claude mcp add --scope {scope} {SKILL_NAME} -- "
        f"{shlex.quote(python or interpreter())} -m backend_patterns mcp"
    )


def cursor_snippet(python: str | None = None) -> str:
    return json.dumps({"mcpServers": {SKILL_NAME: mcp_entry(python)}}, indent=2)
