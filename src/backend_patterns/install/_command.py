"""``bap install claude [--project DIR | --user] [--mcp] [--force]``; ``bap uninstall claude``."""

from __future__ import annotations

from .._console import make_parser
from ..errors import UsageError, did_you_mean

TARGETS = ("claude",)


def run(command: str, argv: list[str], help_: str) -> int:
    parser = make_parser(command, help_)
    parser.add_argument("target", help="the assistant: claude")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--project", metavar="DIR", help="the project folder (default: the current folder)"
    )
    where.add_argument(
        "--user", action="store_true", help="your user settings (~/.claude) instead of a project"
    )
    if command == "install":
        parser.add_argument(
            "--mcp", action="store_true", help="also register 'bap mcp' in the project's .mcp.json"
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace pack files you edited in the installed skill",
        )
        parser.add_argument(
            "--deny",
            action="store_true",
            help="make the PreToolUse hook refuse an edit that adds a BAP001 problem",
        )
        parser.add_argument("--pack", metavar="DIR", help="install the pack in DIR")
    args = parser.parse_args(argv)
    if args.target not in TARGETS:
        guess = did_you_mean(args.target, TARGETS)
        raise UsageError(
            f"unknown target '{args.target}' (choose from: {', '.join(TARGETS)}).",
            hint=f"Did you mean '{guess}'?" if guess else None,
        )

    from .. import install

    root = install.target_root(args.project, args.user)
    if command == "uninstall":
        report = install.uninstall_claude(root)
        for path in report.changed:
            print(f"removed from {path}" if path.endswith(".json") else f"removed {path}")
        if not report.changed:
            print(f"nothing of backend-api-patterns is installed in {root}")
        return 0

    report = install.install_claude(
        root, mcp=args.mcp, user=args.user, force=args.force, deny=args.deny, pack_dir=args.pack
    )
    for path in report.changed:
        print(f"wrote {path}")
    for path in report.kept:
        print(f"kept your edited {path} (use --force to replace it)")
    if not report.changed:
        print(f"already installed in {root}; nothing changed")
    if args.mcp and args.user:
        print(
            "\n--user does not write the MCP server (Claude Code keeps user servers in "
            "~/.claude.json); register it with:"
        )
    else:
        print("\nMCP server: the same registration with the Claude Code CLI:")
    print(f"  {install.claude_mcp_add_line(user=args.user)}")
    print("For Cursor, put this in .cursor/mcp.json (or ~/.cursor/mcp.json):")
    print(install.cursor_snippet())
    return 0
