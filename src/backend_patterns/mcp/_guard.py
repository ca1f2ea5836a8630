"""What every request passes before a handler sees it: clean text, known arguments, a deadline.

``Guard`` is an SDK server middleware (it sees each request's raw params, before the SDK
validates them):

- a string holding a lone surrogate (``"\\ud800"`` in the JSON: not valid UTF-16, and not
  encodable as UTF-8) is refused, without echoing it: a tool error for ``tools/call``, an
  invalid-params error for anything else. Let through, it would reach a reply the transport
  cannot encode, and that request would never be answered;
- ``tools/call`` with an argument the tool does not take is a tool error naming the arguments it
  takes (the SDK's argument models ignore unknown keys, so a misspelt ``top`` would be dropped);
- ``tools/call``, ``resources/read`` and ``prompts/get`` get a deadline. The handler bodies run
  on worker threads (``_errors.reported``), so the deadline and ``notifications/cancelled``
  (which the SDK applies by cancelling the request's scope) abandon a slow call and the other
  requests are answered meanwhile.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import anyio
from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR, INVALID_PARAMS, CallToolResult, TextContent

if TYPE_CHECKING:
    from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
    from mcp.server.mcpserver import MCPServer

DEFAULT_TIMEOUT = 10.0
TIMED = frozenset({"tools/call", "resources/read", "prompts/get"})
_DEPTH = 64  # params nested deeper than this are not searched (the JSON parser bounds it too)


def lone_surrogate_at(value: Any, where: str = "params", depth: int = 0) -> str | None:
    """The place (``arguments.task``) of the first string in ``value`` with a lone surrogate."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return where
        return None
    if depth > _DEPTH:
        return None
    if isinstance(value, Mapping):
        for key, item in value.items():
            name = key if isinstance(key, str) and lone_surrogate_at(key) is None else "?"
            if name == "?":
                return f"{where} (a key)"
            found = lone_surrogate_at(item, f"{where}.{name}", depth + 1)
            if found:
                return found
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found = lone_surrogate_at(item, f"{where}[{i}]", depth + 1)
            if found:
                return found
    return None


def surrogate_text(where: str) -> str:
    """What a client reads when the string at ``where`` holds a lone surrogate."""
    name = where[:120].removeprefix("params").removeprefix(".").removeprefix("arguments.")
    return (
        f"'{name or 'params'}' is not valid Unicode text: it holds a lone surrogate (an unpaired "
        "\\ud800-\\udfff escape). Send UTF-8 text."
    )


def tool_error(text: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


class Guard:
    """The server middleware: see the module's docstring."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout
        self.server: MCPServer[Any] | None = None  # set by ``build_server``, to list the tools
        self._arguments: dict[str, list[str]] | None = None

    async def _known_arguments(self, tool: str) -> list[str] | None:
        if self._arguments is None and self.server is not None:
            self._arguments = {
                t.name: list(t.input_schema.get("properties", {}))
                for t in await self.server.list_tools()
            }
        return None if self._arguments is None else self._arguments.get(tool)

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        method, params = ctx.method, ctx.params
        if ctx.request_id is None or method not in TIMED:
            return await call_next(ctx)
        tool = method == "tools/call"
        bad = lone_surrogate_at(params) if params else None
        if bad:
            if tool:
                return tool_error(surrogate_text(bad))
            raise MCPError(INVALID_PARAMS, surrogate_text(bad))
        if tool and params:
            refused = await self._unknown_arguments(params)
            if refused:
                return tool_error(refused)
        try:
            with anyio.fail_after(self.timeout):
                return await call_next(ctx)
        except TimeoutError:
            what = f"'{params.get('name')}'" if tool and params else method
            text = (
                f"{what} did not finish within {self.timeout:g} seconds (the server's "
                "--tool-timeout) and was stopped. Send a smaller input."
            )
            if tool:
                return tool_error(text)
            raise MCPError(INTERNAL_ERROR, text) from None

    async def _unknown_arguments(self, params: Mapping[str, Any]) -> str | None:
        name, arguments = params.get("name"), params.get("arguments")
        if not isinstance(name, str) or not isinstance(arguments, Mapping):
            return None  # the SDK reports these
        known = await self._known_arguments(name)
        if known is None:
            return None
        unknown = [str(key)[:80] for key in arguments if key not in known]
        if not unknown:
            return None
        takes = ", ".join(f"'{k}'" for k in known) or "no arguments"
        names = ", ".join(f"'{k}'" for k in unknown)
        plural = "s" if len(unknown) > 1 else ""
        return f"{name} does not take the argument{plural} {names}; it takes {takes}."
