"""How the MCP server words what goes wrong in a handler, for the client to read.

The engine raises ``BapError``s that carry data; ``word`` says one with the MCP argument names.
``reported`` wraps a handler so that whatever it raises reaches the client as the error its kind
of handler answers with, carrying the reason: a tool error (``is_error`` with the text) from a
tool, a protocol error from a resource or a prompt. Left to the SDK, a ``BapError`` or a bug of
ours would reach the client as a bare "Error executing tool ..." or a message naming only the
URI. A bug's type and message are sent; its traceback goes to the log (stderr).

``reported`` also runs the handler's body on a worker thread, so a slow call (a megabyte of
code, a slow pack regex) never holds the event loop: other requests are answered meanwhile, and
the deadline and ``notifications/cancelled`` (see ``_guard``) can abandon it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Literal, ParamSpec, TypeVar

import anyio.to_thread
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR, INVALID_PARAMS

from ..errors import BapError, ParamError, UnknownPatternError, UsageError

P = ParamSpec("P")
R = TypeVar("R")
Kind = Literal["tool", "resource", "prompt"]
log = logging.getLogger(__name__)


def limit(name: str, value: str | None, most: int) -> None:
    """Refuse ``value`` (the argument ``name``) when its UTF-8 form is over ``most`` bytes."""
    size = 0 if value is None else len(value.encode("utf-8", "surrogatepass"))
    if size > most:
        raise UsageError(
            f"'{name}' is too large: {size:,} bytes (the limit is {most:,} bytes). "
            "Send a smaller excerpt."
        )


def word(exc: BapError) -> str:
    """``exc`` as an MCP client reads it: the engine's sentence, with our argument names."""
    text = exc.describe()
    if isinstance(exc, ParamError) and exc.param and exc.reason == "missing":
        return f"{text} Pass it in 'params' as {{\"{exc.param}\": VALUE}}."
    if isinstance(exc, ParamError) and exc.param and exc.derived:
        return f"{text} Set it yourself in 'params' as {{\"{exc.param}\": VALUE}}."
    return text


def _failure(kind: Kind, where: str, exc: Exception) -> Exception:
    """The error a ``kind`` handler answers with for ``exc``: our wording, or the bug's own."""
    if isinstance(exc, BapError):
        text = word(exc)
    else:
        log.error("%s %s failed", kind, where, exc_info=exc)
        text = f"internal error: {type(exc).__name__}: {exc}"
    if kind == "tool":
        return ToolError(text)
    if kind == "resource":
        lost = isinstance(exc, UnknownPatternError)
        return ResourceNotFoundError(text) if lost else ResourceError(text)
    mistaken = isinstance(exc, (UsageError, UnknownPatternError, ParamError))
    return MCPError(INVALID_PARAMS if mistaken else INTERNAL_ERROR, text)


def reported(
    kind: Kind,
) -> Callable[[Callable[P, Coroutine[Any, Any, R]]], Callable[P, Coroutine[Any, Any, R]]]:
    """Make a ``kind`` handler (tool, resource or prompt) answer every failure with a reason.

    Unhandled, a ``BapError`` or a bug would reach an MCP client as a bare "Error executing
    tool ..." or a message naming only the URI. Errors the SDK already reports are left alone.
    The body runs on a worker thread (in an event loop of its own, as it is a coroutine that
    calls the engine's plain functions); when the call is cancelled (the deadline, or the
    client's ``notifications/cancelled``) the thread is abandoned and its result dropped.
    """

    def decorate(fn: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Coroutine[Any, Any, R]]:
        @functools.wraps(fn)
        async def handler(*args: P.args, **kwargs: P.kwargs) -> R:
            body = functools.partial(_run_body, fn, *args, **kwargs)
            try:
                return await anyio.to_thread.run_sync(body, abandon_on_cancel=True)
            except (ToolError, ResourceError, MCPError):
                raise
            except Exception as exc:
                raise _failure(kind, fn.__name__, exc) from exc

        return handler

    return decorate


def _run_body(fn: Callable[P, Coroutine[Any, Any, R]], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run the coroutine ``fn(*args, **kwargs)`` to its end on this (worker) thread."""
    return asyncio.run(fn(*args, **kwargs))
