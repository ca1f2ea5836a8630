"""``bap mcp [--http [HOST:]PORT [--allow-remote] [--allow-host NAME]] [--tool-timeout S]``.

stdio by default, as assistants launch it; ``--http`` serves streamable HTTP at ``/mcp``, on
127.0.0.1 unless a host is given. A host other than a loopback address serves the network, so
it needs ``--allow-remote``, and then a bearer token: ``$BAP_MCP_TOKEN``, or one generated and
printed once on stderr. (``$BAP_MCP_TOKEN`` set on a loopback bind requires it there too.)
The pack is the one installed in the current project (``.claude/skills/backend-api-patterns``)
when there, else ``$BAP_PACK`` or the bundled pack.
"""

from __future__ import annotations

import math

from .._console import make_parser
from ..errors import UsageError

TOKEN_ENV = "BAP_MCP_TOKEN"


def parse_address(text: str) -> tuple[str, int]:
    """``8000`` -> ``("127.0.0.1", 8000)``; ``0.0.0.0:8000``; ``[::1]:8000``."""
    host, sep, port = text.rpartition(":")
    if not sep:
        host = ""
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--http takes [HOST:]PORT with a port from 1 to 65535, got {text!r}.")
    return host, int(port)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise UsageError(f"--tool-timeout takes a number of seconds above 0, got {text!r}.")
    return value


def run(command: str, argv: list[str], help_: str) -> int:
    from ._guard import DEFAULT_TIMEOUT

    parser = make_parser(command, help_)
    parser.add_argument(
        "--http",
        metavar="[HOST:]PORT",
        help="serve streamable HTTP at http://HOST:PORT/mcp (HOST defaults to 127.0.0.1; "
        "a non-loopback HOST needs --allow-remote)",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help=f"allow a non-loopback HOST; requests then need a bearer token (${TOKEN_ENV}, "
        "or one generated and printed on stderr)",
    )
    parser.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="with --allow-remote, also accept this Host header (the name clients use)",
    )
    parser.add_argument(
        "--tool-timeout",
        metavar="SECONDS",
        default=str(DEFAULT_TIMEOUT),
        help=f"deadline of each tool call, resource read and prompt (default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument("--pack", metavar="DIR", help="serve the pack in DIR")
    args = parser.parse_args(argv)
    timeout = _seconds(args.tool_timeout)
    http = parse_address(args.http) if args.http is not None else None
    if http is None and (args.allow_remote or args.allow_host):
        raise UsageError("--allow-remote and --allow-host go with --http [HOST:]PORT.")

    import os

    from ._transport import is_loopback

    token = os.environ.get(TOKEN_ENV) or None
    if http is not None:
        if args.allow_host and not args.allow_remote:
            raise UsageError("--allow-host goes with --allow-remote.")
        if not is_loopback(http[0]) and not args.allow_remote:
            raise UsageError(
                f"--http {args.http} would serve every machine that can reach {http[0]}. "
                "Bind a loopback address (127.0.0.1, the default), or add --allow-remote: "
                f"requests then need a bearer token (${TOKEN_ENV}, or one generated for you)."
            )
        if args.allow_remote and token is None:
            import secrets
            import sys

            token = secrets.token_urlsafe(32)
            sys.stderr.write(
                f"bap mcp: bearer token for this server (send 'Authorization: Bearer TOKEN'; "
                f"set ${TOKEN_ENV} to choose it): {token}\n"
            )
            sys.stderr.flush()

    from ..pack import installed_pack_dir, load_pack

    pack = load_pack(args.pack if args.pack else installed_pack_dir(os.getcwd()))

    from .server import serve

    serve(pack, http=http, token=token, allowed_hosts=args.allow_host, tool_timeout=timeout)
    return 0
