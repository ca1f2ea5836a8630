"""``bap install AGENT [--project DIR | --user] [--mcp] [--local] [--force] [--deny]``;
``bap uninstall AGENT``. AGENT: claude, codex, cursor, copilot, gemini, opencode."""

from __future__ import annotations

from .._console import make_parser
from ..errors import UsageError, did_you_mean

TARGETS = ("claude", "codex", "cursor", "copilot", "gemini", "opencode")
HOOKED = ("claude", "codex", "gemini")  # the targets bap installs hooks for


def run(command: str, argv: list[str], help_: str) -> int:
    parser = make_parser(command, help_)
    parser.add_argument("target", help=f"the assistant: {', '.join(TARGETS)}")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--project", metavar="DIR", help="the project folder (default: the current folder)"
    )
    where.add_argument(
        "--user", action="store_true", help="your user folders (~/.claude, ...) instead"
    )
    if command == "install":
        parser.add_argument(
            "--mcp", action="store_true", help="claude: also register 'bap mcp' in .mcp.json"
        )
        parser.add_argument(
            "--local",
            action="store_true",
            help="claude: hooks in .claude/settings.local.json (not committed), run with this "
            "Python",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace pack files you edited in the installed skill",
        )
        parser.add_argument(
            "--deny",
            action="store_true",
            help="claude, codex, gemini: make the pre-tool hook refuse an edit that adds a BAP001 "
            "problem",
        )
        parser.add_argument("--pack", metavar="DIR", help="install the pack in DIR")
    args = parser.parse_args(argv)
    if args.target not in TARGETS:
        guess = did_you_mean(args.target, TARGETS)
        raise UsageError(
            f"unknown target '{args.target}' (choose from: {', '.join(TARGETS)}).",
            hint=f"Did you mean '{guess}'?" if guess else None,
        )
    if command == "install" and args.target != "claude" and args.local:
        raise UsageError(f"--local is for claude's hooks; {args.target} takes none.")
    if command == "install" and args.target not in HOOKED and args.deny:
        hooked = ", ".join(HOOKED)
        raise UsageError(f"--deny is for the hooks of {hooked}; {args.target} has none.")

    from .. import install

    root = install.target_root(args.project, args.user)
    if command == "uninstall":
        report = install.uninstall_agent(args.target, root, user=args.user)
        for path in report.changed:
            print(
                f"removed from {path}" if path.endswith((".json", ".toml")) else f"removed {path}"
            )
        for path in report.kept:
            print(f"kept {path} (not exactly what bap install wrote)")
        if not report.changed:
            print(f"nothing of backend-api-patterns is installed in {root}")
        return 0

    report = install.install_agent(
        args.target,
        root,
        mcp=args.mcp,
        user=args.user,
        force=args.force,
        deny=args.deny,
        local=args.local,
        pack_dir=args.pack,
    )
    for path in report.changed:
        print(f"wrote {path}")
    for path in report.kept:
        print(
            f"kept your edited {path} (use --force to replace it)"
            if ":" not in path
            else f"kept {path}"
        )
    if not report.changed:
        print(f"already installed in {root}; nothing changed")
    for note in report.notes:
        print(note)
    if args.target != "claude":
        return 0
    if args.mcp and args.user:
        print(
            "\n--user does not write the MCP server (Claude Code keeps user servers in "
            "~/.claude.json); register it with:"
        )
    else:
        print("\nMCP server: the same registration with the Claude Code CLI:")
    print(f"  {install.claude_mcp_add_line(user=args.user)}")
    print("For Cursor, run 'bap install cursor', or put this in .cursor/mcp.json:")
    print(install.cursor_snippet())
    return 0
