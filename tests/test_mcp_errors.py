"""How the MCP server words failures (``mcp/_errors.py``): a real engine error raised inside
``suggest`` reaches the client with its reason; each kind of handler answers with its own kind
of error; the size limits count UTF-8 bytes."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from mcp import Client
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR, INVALID_PARAMS

from backend_patterns.errors import BapError, ParamError, UnknownPatternError, UsageError
from backend_patterns.mcp._errors import _failure, limit, reported, word
from backend_patterns.mcp.server import build_server
from backend_patterns.pack import load_pack


def text_of(result: Any) -> str:
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


async def test_an_error_inside_suggest_reaches_the_client_with_its_reason() -> None:
    async with Client(build_server(load_pack())) as client:
        empty = await client.call_tool("suggest_patterns", {"task": "   "})
        unknown = await client.call_tool("render_pattern", {"pattern": "websocket_handlr"})
    assert empty.is_error
    assert text_of(empty) == (
        "Error executing tool suggest_patterns: "
        "the task is empty; describe what you want to build."
    )
    assert unknown.is_error
    assert text_of(unknown).startswith("Error executing tool render_pattern: ")
    assert "websocket_handler" in text_of(unknown)  # the guess


def test_limit_counts_utf8_bytes() -> None:
    limit("task", None, 0)
    limit("task", "é" * 5, 10)
    with pytest.raises(UsageError) as caught:
        limit("task", "é" * 6, 10)
    assert str(caught.value) == (
        "'task' is too large: 12 bytes (the limit is 10 bytes). Send a smaller excerpt."
    )
    limit("code", "\ud800", 3)  # a lone surrogate is measured, not an encoding error
    with pytest.raises(UsageError, match="1,001 bytes"):
        limit("code", "x" * 1001, 1000)


def test_word_says_how_to_pass_a_parameter() -> None:
    missing = ParamError("missing 'resource'.", pattern="p", param="resource", reason="missing")
    assert word(missing) == "missing 'resource'. Pass it in 'params' as {\"resource\": VALUE}."
    derived = ParamError("bad 'plural'.", pattern="p", param="plural", derived=True)
    assert word(derived) == "bad 'plural'. Set it yourself in 'params' as {\"plural\": VALUE}."
    plain = ParamError("bad 'x'.", pattern="p", param="x", hint="Allowed: a, b.")
    assert word(plain) == "bad 'x'. Allowed: a, b."
    assert word(ParamError("no name.", pattern="p", reason="missing")) == "no name."
    assert word(BapError("gone.", hint="Reinstall.")) == "gone. Reinstall."


def test_each_kind_of_handler_answers_with_its_kind_of_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    usage = UsageError("bad call.")
    lost = UnknownPatternError("nope", ["a"])
    bug = RuntimeError("boom")
    with caplog.at_level(logging.ERROR, logger="backend_patterns.mcp._errors"):
        tool = _failure("tool", "t", usage)
        assert type(tool) is ToolError
        assert str(tool) == "bad call."
        assert str(_failure("tool", "t", bug)) == "internal error: RuntimeError: boom"
        assert [r.getMessage() for r in caplog.records] == ["tool t failed"]
        assert caplog.records[0].exc_info is not None
        assert caplog.records[0].exc_info[1] is bug
        resource = _failure("resource", "r", usage)
        assert type(resource) is ResourceError
        assert type(_failure("resource", "r", lost)) is ResourceNotFoundError
        prompt_lost = _failure("prompt", "p", lost)
        assert isinstance(prompt_lost, MCPError)
        assert prompt_lost.error.code == INVALID_PARAMS
        prompt = _failure("prompt", "p", usage)
        assert isinstance(prompt, MCPError)
        assert (prompt.error.code, prompt.error.message) == (INVALID_PARAMS, "bad call.")
        param = _failure("prompt", "p", ParamError("bad.", pattern="p"))
        assert isinstance(param, MCPError)
        assert param.error.code == INVALID_PARAMS
        internal = _failure("prompt", "p", BapError("broken pack."))
        assert isinstance(internal, MCPError)
        assert (internal.error.code, internal.error.message) == (INTERNAL_ERROR, "broken pack.")
        crashed = _failure("prompt", "p", bug)
        assert isinstance(crashed, MCPError)
        assert crashed.error.code == INTERNAL_ERROR


async def test_reported_runs_the_body_and_words_what_it_raises() -> None:
    @reported("tool")
    async def fine(x: int, *, y: int = 1) -> int:
        return x + y

    @reported("tool")
    async def failing() -> int:
        raise UsageError("bad call.", hint="Try again.")

    @reported("tool")
    async def already() -> int:
        raise ToolError("ours already.")

    assert fine.__name__ == "fine"
    assert await fine(1, y=2) == 3
    with pytest.raises(ToolError, match=r"^bad call\. Try again\.$") as caught:
        await failing()
    assert isinstance(caught.value.__cause__, UsageError)
    with pytest.raises(ToolError, match=r"^ours already\.$") as kept:
        await already()
    assert kept.value.__cause__ is None
