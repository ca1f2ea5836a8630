"""How ``bap mcp`` meets its clients: stdio, or streamable HTTP behind our checks.

**stdio.** The SDK's own loop (``MCPServer.run_stdio_async``) drops a line that is not a
JSON-RPC message without a word, and a reply it cannot encode ends its writer. Here the same
SDK transport (``stdio_server``) and server loop run with two small pumps between them: a line
that is not JSON is answered with ``-32700`` (parse error), valid JSON that is not a JSON-RPC
message with ``-32600`` (invalid request, with its ``id`` when it has one); a reply that cannot
be serialised becomes an internal error for that request id instead.

**HTTP.** The address is bound here, before uvicorn starts, so a taken port or an unknown host is
our ``Error:`` line. The SDK's ``TransportSecuritySettings`` check ``Host`` and ``Origin`` on
every bind (the SDK turns them on by itself only for 127.0.0.1, localhost and ::1): allowed are
the bound ``host:port``, ``localhost:port`` and the names given with ``--allow-host``. With a
token, every request needs ``Authorization: Bearer <token>`` (401 otherwise).
"""

from __future__ import annotations

import hmac
import json
import re
import socket
import sys
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.stdio import stdio_server
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.message import SessionMessage
from mcp_types import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    PARSE_ERROR,
    ErrorData,
    JSONRPCError,
    JSONRPCMessage,
    JSONRPCResponse,
)
from pydantic import ValidationError

from ..errors import UsageError
from ._guard import lone_surrogate_at, surrogate_text, tool_error

if TYPE_CHECKING:
    from anyio.abc import ObjectReceiveStream, ObjectSendStream
    from mcp.server.mcpserver import MCPServer
    from starlette.types import ASGIApp, Receive, Scope, Send


# ---- stdio ------------------------------------------------------------------------------------


def _request_id(raw: Any) -> str | int | None:
    candidate = raw.get("id") if isinstance(raw, dict) else None
    if isinstance(candidate, str) or (
        isinstance(candidate, int) and not isinstance(candidate, bool)
    ):
        return candidate
    return None


def _refusal(exc: Exception) -> JSONRPCMessage:
    """The answer to an inbound line the SDK could not read as a message.

    The SDK's JSON parser refuses a lone surrogate escape (``"\\ud800"``) as invalid JSON; such
    a request still gets the answer the in-process check (``_guard``) gives: a tool error for
    ``tools/call``, an invalid-params error otherwise.
    """
    errors = exc.errors() if isinstance(exc, ValidationError) else []
    raw = errors[0].get("input") if errors else None
    if any(e["type"] == "json_invalid" for e in errors):
        try:
            parsed = json.loads(raw) if isinstance(raw, str) else None
        except ValueError:
            parsed = None
        rid = _request_id(parsed)
        bad = lone_surrogate_at(parsed.get("params")) if isinstance(parsed, dict) else None
        if rid is not None and bad is not None and isinstance(parsed, dict):
            text = surrogate_text(bad)
            if parsed.get("method") == "tools/call":
                result = tool_error(text).model_dump(by_alias=True, exclude_none=True)
                return JSONRPCResponse(jsonrpc="2.0", id=rid, result=result)
            error = ErrorData(code=INVALID_PARAMS, message=text)
            return JSONRPCError(jsonrpc="2.0", id=rid, error=error)
        error = ErrorData(code=PARSE_ERROR, message="Parse error: the line is not valid JSON.")
        return JSONRPCError(jsonrpc="2.0", id=None, error=error)
    text = "Invalid request: the line is JSON but not a JSON-RPC 2.0 message."
    error = ErrorData(code=INVALID_REQUEST, message=text)
    return JSONRPCError(jsonrpc="2.0", id=_request_id(raw), error=error)


def _encodable(message: SessionMessage) -> SessionMessage:
    """``message``, or an internal error for its request when it cannot be written as UTF-8."""
    try:
        message.message.model_dump_json(by_alias=True, exclude_unset=True).encode("utf-8")
    except (ValueError, UnicodeError) as exc:  # PydanticSerializationError is a ValueError
        inner = message.message
        if not isinstance(inner, (JSONRPCResponse, JSONRPCError)):
            raise
        text = f"the reply could not be encoded as UTF-8 ({type(exc).__name__})."
        error = ErrorData(code=INTERNAL_ERROR, message=text)
        return SessionMessage(JSONRPCError(jsonrpc="2.0", id=inner.id, error=error))
    return message


def run_stdio(server: MCPServer[Any]) -> None:
    """Serve over stdin/stdout until stdin closes."""
    anyio.run(_serve_stdio, server)


async def _serve_stdio(server: MCPServer[Any]) -> None:
    lowlevel = server._lowlevel_server  # the SDK offers no public way to wrap its streams
    async with stdio_server() as (wire_in, wire_out):
        to_server: ObjectSendStream[SessionMessage | Exception]
        from_wire: ObjectReceiveStream[SessionMessage | Exception]
        to_server, from_wire = anyio.create_memory_object_stream(0)
        to_wire: ObjectSendStream[SessionMessage]
        from_server: ObjectReceiveStream[SessionMessage]
        to_wire, from_server = anyio.create_memory_object_stream(0)

        async def inbound() -> None:
            async with to_server:
                async for item in wire_in:
                    if isinstance(item, Exception):
                        await wire_out.send(SessionMessage(_refusal(item)))
                    else:
                        await to_server.send(item)

        async def outbound() -> None:
            async with from_server:
                async for message in from_server:
                    await wire_out.send(_encodable(message))

        # Each pump ends when its source closes (stdin's EOF; the server closing ``to_wire``),
        # and closing ``wire_out`` then ends the SDK's stdout writer.
        async with wire_out, anyio.create_task_group() as tg:
            tg.start_soon(inbound)
            tg.start_soon(outbound)
            await lowlevel.run(from_wire, to_wire, lowlevel.create_initialization_options())


# ---- HTTP -------------------------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and ``localhost``: addresses only this machine can reach."""
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _netloc(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def allowed_hosts(host: str, port: int, extra: list[str] | None = None) -> list[str]:
    """The ``Host`` header values accepted: the bound address, localhost, and ``extra``."""
    names = [_netloc(host, port), f"localhost:{port}"]
    for name in extra or []:
        has_port = re.fullmatch(r"(\[[^\]]+\]|[^:\[\]]+):\d+", name)
        names.append(name if has_port else _netloc(name.strip("[]"), port))
    return list(dict.fromkeys(names))


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready socket on ``host:port``, or a ``UsageError`` saying why not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise UsageError(f"--http: cannot resolve the host '{host}': {exc.strerror}.") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise UsageError(
            f"--http: cannot listen on {_netloc(host, port)}: {exc.strerror or exc}."
        ) from None
    sock.set_inheritable(True)
    return sock


class BearerAuth:
    """ASGI middleware: every HTTP request must carry ``Authorization: Bearer <token>``."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            given = dict(scope.get("headers", [])).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                body = json.dumps({"error": "unauthorized: send Authorization: Bearer <token>"})
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"www-authenticate", b'Bearer realm="bap mcp"'),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body.encode()})
                return
        await self.app(scope, receive, send)


def run_http(
    server: MCPServer[Any],
    host: str,
    port: int,
    *,
    token: str | None = None,
    extra_hosts: list[str] | None = None,
) -> None:
    """Serve streamable HTTP at ``http://host:port/mcp`` until interrupted."""
    sock = bind(host, port)
    hosts = allowed_hosts(host, port, extra_hosts)
    origins = [f"{scheme}://{h}" for h in hosts for scheme in ("http", "https")]
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )
    app: ASGIApp = server.streamable_http_app(transport_security=security, host=host)
    if token:
        app = BearerAuth(app, token)
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    where = f"http://{_netloc(host, port)}/mcp"
    sys.stderr.write(
        f"bap mcp: serving {where} ({'bearer token required' if token else 'no token'}; "
        f"Host: {', '.join(hosts)})\n"
    )
    sys.stderr.flush()
    anyio.run(uvicorn.Server(config).serve, [sock])
