"""The exact hook commands and MCP entries we write, and how to tell ours from the user's.

An entry is ours only when it equals, character for character, something we write (or wrote: the
absolute-interpreter form of earlier versions, which ``--local`` still writes). Anything else, a
wrapper around our command included, is the user's and is never changed or removed.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

from ..errors import BapError

INSTALL_HINT = "uv tool install backend-api-patterns (or: pipx install backend-api-patterns)"
MISSING = f"backend-api-patterns: bap not found; install it with: {INSTALL_HINT}"
HOOK_ARGUMENTS = ("prompt", "pre-tool", "post-tool")


class InstallError(BapError):
    """A file we will not touch, a path that leaves the project, or a write that failed."""


def interpreter() -> str:
    """The absolute path of the running interpreter, for ``--local`` hooks.

    Made absolute but not symlink-resolved: a virtualenv's ``bin/python`` is a symlink, and
    resolving it would run the base interpreter without the virtualenv's packages.
    """
    if not sys.executable:
        raise InstallError("cannot tell which Python is running (sys.executable is empty).")
    return str(Path(sys.executable).absolute())


def guarded(command: str) -> str:
    """``command`` (a ``bap`` command line) run when ``bap`` is on PATH; else one line, exit 0.

    POSIX ``sh``: ``command -v`` is the portable lookup, and the ``if`` keeps a failing ``bap``
    from being mistaken for a missing one.
    """
    return (
        f"if command -v bap >/dev/null 2>&1; then {command}; "
        f"else echo {shlex.quote(MISSING)} >&2; fi"
    )


def hook_command(
    argument: str, *, deny: bool = False, python: str | None = None, agent: str | None = None
) -> str:
    """Our hook ``argument``: ``bap`` from PATH, or (``python``) that interpreter's module.

    ``agent`` (codex, gemini) adds ``--agent AGENT``: the hook answers in that agent's format
    and reads the pack installed in its skill folder.
    """
    options = " --deny" if deny and argument == "pre-tool" else ""
    if agent is not None:
        options += f" --agent {agent}"
    if python is not None:
        return f"{shlex.quote(python)} -m backend_patterns hook {argument}{options}"
    return guarded(f"bap hook {argument}{options}")


def _interpreter_form(command: str, argument: str) -> bool | None:
    """Whether ``command`` is exactly ``<abs python> -m backend_patterns hook ARG [--deny]``.

    None when it is not; else whether it has ``--deny``.
    """
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if len(words) not in (5, 6) or not Path(words[0]).is_absolute():
        return None
    deny = len(words) == 6
    if words[1:5] != ["-m", "backend_patterns", "hook", argument]:
        return None
    if deny and (argument != "pre-tool" or words[5] != "--deny"):
        return None
    return deny if command == hook_command(argument, deny=deny, python=words[0]) else None


def our_hook(handler: Any, argument: str, agent: str | None = None) -> bool | None:
    """Whether ``handler`` is exactly a handler we write for ``argument`` (and ``agent``).

    None when it is not ours; else whether it carries ``--deny``.
    """
    if not isinstance(handler, dict) or set(handler) != {"type", "command"}:
        return None
    if handler["type"] != "command" or not isinstance(handler["command"], str):
        return None
    command = handler["command"]
    for deny in (False, True):
        if command == hook_command(argument, deny=deny, agent=agent):
            return deny
    return _interpreter_form(command, argument) if agent is None else None


# ---- MCP entries ------------------------------------------------------------------------------


def mcp_entry(style: str = "claude") -> dict[str, Any]:
    """Our server as the agent's config file spells a stdio server."""
    if style == "vscode":
        return {"type": "stdio", "command": "bap", "args": ["mcp"]}
    if style == "opencode":
        return {"type": "local", "command": ["bap", "mcp"], "enabled": True}
    return {"command": "bap", "args": ["mcp"]}


def our_mcp(entry: Any, style: str = "claude") -> bool:
    """Whether ``entry`` is exactly one we write (or, for Claude and Cursor, used to write)."""
    if entry == mcp_entry(style):
        return True
    if style != "claude" or not isinstance(entry, dict) or set(entry) != {"command", "args"}:
        return False
    command = entry["command"]
    return (
        isinstance(command, str)
        and Path(command).is_absolute()
        and entry["args"] == ["-m", "backend_patterns", "mcp"]
    )
