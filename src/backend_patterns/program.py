"""The ``bap`` program: routes a subcommand to the front end that owns it.

This is not a front end itself: it names each subcommand's module and imports only the one that
runs, so ``bap suggest`` loads the CLI, ``bap hook`` the hooks, ``bap mcp`` the MCP server and
``bap install`` the installers, and none of them imports another.
"""

from __future__ import annotations

import sys
from importlib import import_module

# name -> (module that runs it, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "suggest": ("backend_patterns.cli._suggest", "rank the patterns that fit a task"),
    "explain": (
        "backend_patterns.cli._explain",
        "show every pattern's score and every trigger that fired",
    ),
    "list": ("backend_patterns.cli._catalog", "list the patterns of the pack"),
    "show": ("backend_patterns.cli._catalog", "show one pattern: what it is and its parameters"),
    "render": ("backend_patterns.cli._render", "render a pattern into code"),
    "init": (
        "backend_patterns.cli._init",
        "record a project's conventions in [tool.bap] (or start an empty one)",
    ),
    "add": ("backend_patterns.cli._add", "add a pattern to your project, wired in"),
    "check": (
        "backend_patterns.cli._check",
        "lint Python for the bugs the patterns prevent (JSONB changes never saved, ...)",
    ),
    "validate": ("backend_patterns.cli._catalog", "check a pack for errors"),
    "eval": ("backend_patterns.cli._eval", "score the triggers on labelled cases"),
    "tune": ("backend_patterns.cli._tune", "fit the trigger weights and threshold on cases"),
    "hook": (
        "backend_patterns.hooks._command",
        "assistant hooks: prompt, pre-tool, post-tool (Claude Code, Codex, Gemini CLI)",
    ),
    "mcp": ("backend_patterns.mcp._command", "serve the pack over MCP (stdio, or --http)"),
    "install": (
        "backend_patterns.install._command",
        "install the skill, hooks and MCP server into an assistant",
    ),
    "uninstall": ("backend_patterns.install._command", "remove what 'bap install' added"),
}


def _usage() -> str:
    width = max(map(len, COMMANDS))
    rows = "\n".join(f"  {name:<{width}}  {help_}" for name, (_, help_) in COMMANDS.items())
    return (
        "usage: bap COMMAND [ARGS]\n\n"
        "Patterns for FastAPI + async SQLAlchemy + PostgreSQL + WebSocket backends.\n\n"
        f"commands:\n{rows}\n\nRun 'bap COMMAND --help' for a command's options."
    )


def main(argv: list[str] | None = None) -> int:
    """Run one ``bap`` command; only this level prints errors and chooses exit codes."""
    from ._console import adopt_closed_std_streams, output_failed
    from .errors import BapError, did_you_mean

    adopt_closed_std_streams()  # `<&-` / `>&-`: an Error: line on use, not a traceback
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in {"-h", "--help"}:
        print(_usage())
        return 0 if args else 2
    if args[0] == "--version":
        from . import __version__

        print(f"bap {__version__}")
        return 0
    command = args[0]
    if command not in COMMANDS:
        guess = did_you_mean(command, COMMANDS)
        hint = f" Did you mean '{guess}'?" if guess else " Run 'bap --help' for the commands."
        sys.stderr.write(f"Error: unknown command '{command}'.{hint}\n")
        return 2
    module_name, help_ = COMMANDS[command]
    module = import_module(module_name)
    try:
        code: int = module.run(command, args[1:], help_)
        sys.stdout.flush()  # a full disk or a closed pipe shows here, not after we return
    except BapError as exc:
        from ._console import error_line

        front_end = import_module(module_name.rsplit(".", 1)[0])
        sys.stderr.write(error_line(exc, getattr(front_end, "word", None)) + "\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("Error: interrupted.\n")
        return 130
    except OSError as exc:  # stdout full or failing (exit 2), a closed pipe (exit 0), ...
        return output_failed(command, exc)
    return code


def entry() -> None:
    try:
        code = main()
        sys.stdout.flush()
    except OSError as exc:  # `bap --help > /dev/full`, `bap --version | head -0`
        from ._console import output_failed

        code = output_failed("", exc)
    raise SystemExit(code)
