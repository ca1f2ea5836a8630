"""``bap mcp [--http [HOST:]PORT] [--pack DIR]``: serve the pack over MCP.

stdio by default, as assistants launch it; ``--http`` serves streamable HTTP at ``/mcp``, on
127.0.0.1 unless a host is given. The pack is the one installed in the current project
(``.claude/skills/backend-api-patterns``) when there, else ``$BAP_PACK`` or the bundled pack.
"""

from __future__ import annotations

from .._console import make_parser
from ..errors import UsageError


def parse_address(text: str) -> tuple[str, int]:
    """``8000`` -> ``("127.0.0.1", 8000)``; ``0.0.0.0:8000``; ``[::1]:8000``."""
    host, sep, port = text.rpartition(":")
    if not sep:
        host = ""
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--http takes [HOST:]PORT with a port from 1 to 65535, got {text!r}.")
    return host, int(port)


def run(command: str, argv: list[str], help_: str) -> int:
    parser = make_parser(command, help_)
    parser.add_argument(
        "--http",
        metavar="[HOST:]PORT",
        help="serve streamable HTTP at http://HOST:PORT/mcp (HOST defaults to 127.0.0.1)",
    )
    parser.add_argument("--pack", metavar="DIR", help="serve the pack in DIR")
    args = parser.parse_args(argv)
    http = parse_address(args.http) if args.http is not None else None

    import os

    from ..pack import installed_pack_dir, load_pack

    pack = load_pack(args.pack if args.pack else installed_pack_dir(os.getcwd()))

    from .server import serve

    serve(pack, http=http)
    return 0
