"""The ``bap`` command. Each subcommand lives in its own module, imported only when it runs.

Only this top level prints errors and chooses exit codes; everything below raises ``BapError``.
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "suggest": ("_suggest", "rank the patterns that fit a task"),
    "explain": ("_explain", "show every pattern's score and every trigger that fired"),
    "list": ("_catalog", "list the patterns of the pack"),
    "show": ("_catalog", "show one pattern: what it is and its parameters"),
    "render": ("_render", "render a pattern into code"),
    "check": ("_check", "find JSONB in-place mutations that are never saved (BAP001)"),
    "validate": ("_catalog", "check a pack for errors"),
    "eval": ("_eval", "score the triggers on labelled cases"),
    "hook": ("_hook", "Claude Code hook adapters (prompt, pre-tool, post-tool)"),
    "mcp": ("_mcp", "serve the pack over MCP (stdio, or --http)"),
    "install": ("_install", "install the skill, hooks and MCP server into an assistant"),
    "uninstall": ("_install", "remove what 'bap install' added"),
}


def _usage() -> str:
    width = max(map(len, COMMANDS))
    rows = "\n".join(f"  {name:<{width}}  {help_}" for name, (_, help_) in COMMANDS.items())
    return (
        "usage: bap COMMAND [ARGS]\n\n"
        "Patterns for FastAPI + async SQLAlchemy + PostgreSQL + WebSocket backends.\n\n"
        f"commands:\n{rows}\n\nRun 'bap COMMAND --help' for a command's options."
    )


def make_parser(command: str, description: str) -> argparse.ArgumentParser:
    """An ArgumentParser whose errors read ``Error: ...`` and exit 2, like every other error."""
    import argparse

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> None:  # type: ignore[override]
            sys.stderr.write(f"Error: {message}. See 'bap {command} --help'.\n")
            raise SystemExit(2)

    return _Parser(prog=f"bap {command}", description=description)


def main(argv: list[str] | None = None) -> int:
    from ..errors import BapError, did_you_mean

    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in {"-h", "--help"}:
        print(_usage())
        return 0 if args else 2
    if args[0] == "--version":
        from .. import __version__

        print(f"bap {__version__}")
        return 0
    command = args[0]
    if command not in COMMANDS:
        guess = did_you_mean(command, COMMANDS)
        hint = f" Did you mean '{guess}'?" if guess else " Run 'bap --help' for the commands."
        sys.stderr.write(f"Error: unknown command '{command}'.{hint}\n")
        return 2
    module_name, help_ = COMMANDS[command]
    module = import_module(f".{module_name}", __name__)
    try:
        code: int = module.run(command, args[1:], help_)
    except BapError as exc:
        sys.stderr.write(exc.format_message() + "\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("Error: interrupted.\n")
        return 130
    except BrokenPipeError:
        return 0
    return code


def entry() -> None:
    raise SystemExit(main())
