"""JSON config files: reading them, merging our hooks and server in, taking exactly those out.

Every function here is pure (values in, values out) except ``load_json``; ``dump_json`` writes
the file back in the indentation, key order and final newline it had, so a merge changes only
the lines it must and a merge followed by a removal gives back the bytes the user had.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._fs import read_text_bounded
from ..pack import SKILL_NAME
from ._commands import HOOK_ARGUMENTS, InstallError, hook_command, mcp_entry, our_hook, our_mcp

HOOK_MATCHER = "Write|Edit|MultiEdit"
Events = dict[str, tuple[str | None, str]]  # event -> (matcher or None, hook argument)
HOOKS: Events = {
    "UserPromptSubmit": (None, HOOK_ARGUMENTS[0]),
    "PreToolUse": (HOOK_MATCHER, HOOK_ARGUMENTS[1]),
    "PostToolUse": (HOOK_MATCHER, HOOK_ARGUMENTS[2]),
}
# Codex: Claude Code's events and file shape (.codex/hooks.json); its edit tool is apply_patch.
CODEX_HOOKS: Events = {
    "UserPromptSubmit": (None, HOOK_ARGUMENTS[0]),
    "PreToolUse": ("apply_patch", HOOK_ARGUMENTS[1]),
    "PostToolUse": ("apply_patch", HOOK_ARGUMENTS[2]),
}
# Gemini CLI: its own events (in .gemini/settings.json), edit tools write_file and replace.
GEMINI_HOOKS: Events = {
    "BeforeAgent": (None, HOOK_ARGUMENTS[0]),
    "BeforeTool": ("write_file|replace", HOOK_ARGUMENTS[1]),
    "AfterTool": ("write_file|replace", HOOK_ARGUMENTS[2]),
}
JSON_MAX = 64 * 1024 * 1024  # a settings file larger than this is not one we wrote into


@dataclass
class Report:
    """What an install or uninstall did, for the CLI to print."""

    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # the user's files and entries, left alone
    notes: list[str] = field(default_factory=list)


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


def _indent(text: str | None) -> int | str | None:
    """The indentation the file already uses (None: all on one line)."""
    lines = (text or "").strip().splitlines()
    if text and len(lines) == 1:
        return None
    for line in lines[1:]:
        stripped = line.lstrip(" \t")
        if stripped and len(stripped) < len(line):
            lead = line[: len(line) - len(stripped)]
            return lead if "\t" in lead else len(lead)
    return 2


def dump_json(data: dict[str, Any], like: str | None) -> str:
    """``data`` as JSON, in the style of ``like`` (the file's text before; None: a new file)."""
    indent = _indent(like)
    if indent is None:
        text = json.dumps(data, ensure_ascii=False)
    else:
        text = json.dumps(data, indent=indent, ensure_ascii=False)
    ending = "\n" if like is None or like.endswith("\n") else ""
    return text + ending


def _copy(data: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(data)


def _object(parent: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = parent.setdefault(key, {})
    if not isinstance(value, dict):
        raise InstallError(f"'{key}' in {where} is not an object; nothing was changed.")
    return value


# ---- hooks ------------------------------------------------------------------------------------


def merge_hooks(
    settings: dict[str, Any],
    *,
    deny: bool = False,
    python: str | None = None,
    where: str = "settings.json",
    events: Events = HOOKS,
    agent: str | None = None,
) -> dict[str, Any]:
    """``settings`` with our three hooks, each once; everything else kept as it is.

    A hook of ours already there is brought up to date (``bap`` from PATH, or ``python`` for a
    local install) and keeps its ``--deny``; ``deny`` adds ``--deny`` to the PreToolUse hook.
    A handler that is not exactly ours (a wrapper around our command) is the user's: left alone.
    """
    out = _copy(settings)
    hooks = _object(out, "hooks", where)
    for event, (matcher, argument) in events.items():
        groups = hooks.setdefault(event, [])
        if not isinstance(groups, list):
            raise InstallError(f"'hooks.{event}' in {where} is not a list; nothing was changed.")
        present = False
        for group in groups:
            if not isinstance(group, dict) or not isinstance(group.get("hooks"), list):
                continue
            for handler in group["hooks"]:
                had_deny = our_hook(handler, argument, agent)
                if had_deny is not None:
                    command = hook_command(
                        argument, deny=deny or had_deny, python=python, agent=agent
                    )
                    handler["command"] = command
                    present = True
        if not present:
            command = hook_command(argument, deny=deny, python=python, agent=agent)
            group = {"hooks": [{"type": "command", "command": command}]}
            if matcher is not None:
                group = {"matcher": matcher, **group}
            groups.append(group)
    return out


def _our_group_shape(group: dict[str, Any], matcher: str | None) -> bool:
    expected = {"hooks"} if matcher is None else {"matcher", "hooks"}
    return set(group) == expected and group.get("matcher") == matcher


def remove_hooks(
    settings: dict[str, Any], *, events: Events = HOOKS, agent: str | None = None
) -> dict[str, Any]:
    """``settings`` without our hooks, and without the groups and keys only they filled.

    A group is dropped only when it held nothing but our handlers and has the shape we write;
    an empty group, list or ``hooks`` object the user had is kept.
    """
    out = _copy(settings)
    hooks = out.get("hooks")
    if not isinstance(hooks, dict):
        return out
    removed_any = False
    for event, (matcher, argument) in events.items():
        groups = hooks.get(event)
        if not isinstance(groups, list):
            continue
        kept_groups = []
        removed_here = False
        for group in groups:
            if isinstance(group, dict) and isinstance(group.get("hooks"), list):
                handlers = [h for h in group["hooks"] if our_hook(h, argument, agent) is None]
                if len(handlers) < len(group["hooks"]):
                    removed_here = True
                    if not handlers and _our_group_shape(group, matcher):
                        continue
                    group["hooks"] = handlers
            kept_groups.append(group)
        if removed_here:
            removed_any = True
            if kept_groups:
                hooks[event] = kept_groups
            else:
                del hooks[event]
    if removed_any and not hooks:
        del out["hooks"]
    return out


# ---- MCP servers ------------------------------------------------------------------------------


def merge_mcp(
    config: dict[str, Any], key: str, style: str, where: str, report: Report
) -> dict[str, Any]:
    """``config`` with our server under ``config[key]``; a user's own entry there is kept."""
    out = _copy(config)
    servers = _object(out, key, where)
    current = servers.get(SKILL_NAME)
    if current is not None and not our_mcp(current, style):
        report.kept.append(f"{where}: your own '{key}.{SKILL_NAME}' entry")
        return out
    servers[SKILL_NAME] = mcp_entry(style)
    return out


def remove_mcp(config: dict[str, Any], key: str, style: str) -> dict[str, Any]:
    """``config`` without our server; an entry that is not exactly ours is kept."""
    out = _copy(config)
    servers = out.get(key)
    if isinstance(servers, dict) and our_mcp(servers.get(SKILL_NAME), style):
        del servers[SKILL_NAME]
        if not servers:
            del out[key]
    return out


def claude_mcp_add_line(*, user: bool = False) -> str:
    scope = "user" if user else "project"
    return f"claude mcp add --scope {scope} {SKILL_NAME} -- bap mcp"


def cursor_snippet() -> str:
    return json.dumps({"mcpServers": {SKILL_NAME: mcp_entry()}}, indent=2)
