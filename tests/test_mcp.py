"""The MCP server in process, through the SDK's own Client, in the default and the legacy mode."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from conftest import copy_pack
from jsonb_snippet import BUGGY, MODEL, MUTATION_LINE
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR, INVALID_PARAMS

from backend_patterns._console import render_command
from backend_patterns.errors import BapError
from backend_patterns.lint import check_code as engine_check
from backend_patterns.match import suggest
from backend_patterns.mcp._errors import word as mcp_word
from backend_patterns.mcp.server import CODE_MAX, TASK_MAX, build_server
from backend_patterns.pack import load_pack
from backend_patterns.render import render

MODES = ["auto", "legacy"]
TOOLS = {"suggest_patterns", "render_pattern", "plan_add", "list_patterns", "check_code"}
TASK = "Add a WebSocket endpoint that broadcasts chat messages to a room"


@asynccontextmanager
async def connect(mode: str) -> AsyncIterator[Client]:
    async with Client(build_server(load_pack()), mode=mode) as client:
        yield client


def text_of(result: Any) -> str:
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


@pytest.mark.parametrize("mode", MODES)
async def test_tools_are_typed_and_read_only(mode: str) -> None:
    async with connect(mode) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.annotations is not None
        assert tool.annotations.read_only_hint is True
        assert tool.annotations.idempotent_hint is True
        assert tool.annotations.open_world_hint is False
        assert tool.output_schema is not None
        assert tool.output_schema["type"] == "object"
        assert tool.input_schema["type"] == "object"
    assert tools["suggest_patterns"].input_schema["required"] == ["task"]
    assert set(tools["suggest_patterns"].input_schema["properties"]) == {
        "task",
        "code",
        "path",
        "top",
    }
    assert tools["render_pattern"].input_schema["required"] == ["pattern"]
    assert "suggestions" in tools["suggest_patterns"].output_schema["properties"]


@pytest.mark.parametrize("mode", MODES)
async def test_suggest_patterns_matches_the_engine(mode: str) -> None:
    async with connect(mode) as client:
        result = await client.call_tool("suggest_patterns", {"task": TASK, "top": 2})
    assert not result.is_error, text_of(result)
    got = result.structured_content["suggestions"]
    expected = suggest(TASK, top=2)
    assert [s["pattern"] for s in got] == [s.pattern for s in expected]
    assert got[0]["pattern"] == "websocket_handler"
    first, engine = got[0], expected[0]
    assert first["reasons"] == [r.to_json() for r in engine.reasons]
    assert first["params"] == engine.params
    assert first["command"] == render_command(engine.pattern, engine.params)
    assert first["why"] == engine.why


def _render_or_error(name: str, pack: Any) -> tuple[list[Any], str | None]:
    try:
        return render(name, {}, with_tests=True, pack=pack), None
    except BapError as exc:
        return [], mcp_word(exc)


@pytest.mark.parametrize("mode", MODES)
async def test_render_pattern_returns_files_and_writes_nothing(
    mode: str, tmp_path: Any, monkeypatch: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    pack = load_pack()
    compared = 0
    async with connect(mode) as client:
        for name in pack.patterns:
            result = await client.call_tool(
                "render_pattern", {"pattern": name, "with_tests": True}
            )
            files, error = _render_or_error(name, pack)
            if error is not None:  # a required parameter: the tool must say the same
                assert result.is_error
                assert error in text_of(result)
                compared += 1
                continue
            assert not result.is_error, text_of(result)
            got = result.structured_content["files"]
            assert got == [{"path": f.path, "content": f.content} for f in files]
            compared += 1
    assert compared == len(pack.patterns)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("mode", MODES)
async def test_unknown_pattern_names_the_choices_and_a_guess(mode: str) -> None:
    async with connect(mode) as client:
        result = await client.call_tool("render_pattern", {"pattern": "websocket_handlr"})
    assert result.is_error
    text = text_of(result)
    assert "unknown pattern 'websocket_handlr'" in text
    for name in load_pack().patterns:
        assert name in text
    assert "Did you mean 'websocket_handler'?" in text


@pytest.mark.parametrize("mode", MODES)
async def test_bad_parameter_names_the_allowed_ones(mode: str) -> None:
    spec = load_pack().pattern("websocket_handler")
    async with connect(mode) as client:
        result = await client.call_tool(
            "render_pattern", {"pattern": "websocket_handler", "params": {"no_such_param": "x"}}
        )
    assert result.is_error
    text = text_of(result)
    assert "unknown parameter 'no_such_param'" in text
    for p in spec.params:
        assert p.name in text


@pytest.mark.parametrize("mode", MODES)
async def test_oversized_inputs_are_refused_with_the_limit(mode: str) -> None:
    async with connect(mode) as client:
        big_task = await client.call_tool("suggest_patterns", {"task": "x" * (TASK_MAX + 1)})
        big_code = await client.call_tool("check_code", {"code": "#" * (CODE_MAX + 1)})
        fine = await client.call_tool("suggest_patterns", {"task": "x" * TASK_MAX})
    assert big_task.is_error
    assert f"'task' is too large: {TASK_MAX + 1:,} bytes (the limit is {TASK_MAX:,}" in text_of(
        big_task
    )
    assert big_code.is_error
    assert f"the limit is {CODE_MAX:,} bytes" in text_of(big_code)
    assert not fine.is_error


@pytest.mark.parametrize("mode", MODES)
async def test_list_patterns_lists_the_pack(mode: str) -> None:
    pack = load_pack()
    async with connect(mode) as client:
        result = await client.call_tool("list_patterns", {})
    assert not result.is_error
    got = {p["name"]: p for p in result.structured_content["patterns"]}
    assert set(got) == set(pack.patterns)
    for name, spec in pack.patterns.items():
        assert got[name]["description"] == spec.description
        # summaries only (the issue: list_patterns was 22 KB); the details are in the resource
        assert got[name]["params"] == [p.name for p in spec.params]
        assert got[name]["resource"] == f"pattern://{name}"


@pytest.mark.parametrize("mode", MODES)
async def test_check_code_reports_bap001(mode: str) -> None:
    async with connect(mode) as client:
        buggy = await client.call_tool("check_code", {"code": BUGGY, "path": "agents.py"})
        clean = await client.call_tool("check_code", {"code": MODEL, "path": "agents.py"})
        broken = await client.call_tool("check_code", {"code": "def (:\n"})
    assert not buggy.is_error, text_of(buggy)
    findings = buggy.structured_content["findings"]
    assert findings == [f.to_json() for f in engine_check(BUGGY, path="agents.py")]
    assert [f["line"] for f in findings] == [MUTATION_LINE]
    assert findings[0]["code"] == "BAP001"
    assert clean.structured_content == {"findings": []}
    # Code that does not parse is no clean bill of health: a tool error with the position.
    assert broken.is_error
    assert text_of(broken).endswith("the code does not parse: invalid syntax (line 1).")


@pytest.mark.parametrize("mode", MODES)
async def test_resources_serve_templates_and_the_skill(mode: str) -> None:
    pack = load_pack()
    spec = pack.pattern("websocket_handler")
    async with connect(mode) as client:
        templates = (await client.list_resource_templates()).resource_templates
        listed = (await client.list_resources()).resources
        doc = (await client.read_resource("pattern://websocket_handler")).contents[0]
        sources = {
            f.template: (
                await client.read_resource(f"pattern://websocket_handler/{f.template}")
            ).contents[0]
            for f in spec.files
        }
        skill = (await client.read_resource("skill://SKILL.md")).contents[0]
        with pytest.raises(MCPError, match=r"unknown pattern 'websocket_handlr'.*Did you mean"):
            await client.read_resource("pattern://websocket_handlr")
    # each template is its own resource (the issue: one pattern:// resource was 32 KB)
    assert [t.uri_template for t in templates] == [
        "pattern://{name}",
        "pattern://{name}/{+template}",
    ]
    assert [str(r.uri) for r in listed] == ["skill://SKILL.md"]
    assert doc.mime_type == "text/markdown"
    for f in spec.files:
        assert f"pattern://websocket_handler/{f.template}" in doc.text
        assert sources[f.template].text == (spec.directory / f.template).read_text()
    for p in spec.params:
        assert f"`{p.name}`" in doc.text
    assert skill.text == pack.skill_path.read_text()


@pytest.mark.parametrize("mode", MODES)
async def test_apply_pattern_prompt(mode: str) -> None:
    async with connect(mode) as client:
        prompts = (await client.list_prompts()).prompts
        got = await client.get_prompt(
            "apply_pattern", {"pattern": "websocket_handler", "task": TASK}
        )
        with pytest.raises(MCPError, match="Did you mean 'websocket_handler'"):
            await client.get_prompt("apply_pattern", {"pattern": "websocket_handlr", "task": "x"})
    assert [p.name for p in prompts] == ["apply_pattern"]
    assert {a.name for a in prompts[0].arguments or []} == {"pattern", "task"}
    text = got.messages[0].content.text
    assert TASK in text
    assert "pattern://websocket_handler" in text
    assert "render_pattern" in text


# ---- every failure inside a handler reaches the client with its reason -------------------------

# what goes wrong -> (the exception, the reason the client must read)
FAILURES: dict[str, tuple[Exception, str]] = {
    "engine error": (
        BapError("the pack went away.", hint="Reinstall it."),
        "the pack went away. Reinstall it.",
    ),
    "bug": (RuntimeError("boom"), "internal error: RuntimeError: boom"),
}
# tool -> (the function it calls that is made to fail, its arguments)
TOOL_CALLS = {
    "suggest_patterns": ("backend_patterns.match.suggest", {"task": TASK}),
    "render_pattern": ("backend_patterns.render.render", {"pattern": "websocket_handler"}),
    "check_code": ("backend_patterns.lint.check_code", {"code": MODEL}),
    "list_patterns": ("backend_patterns.mcp.server._pattern_out", {}),
}


def _failing(exc: Exception) -> Any:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise exc

    return fail


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("failure", FAILURES)
@pytest.mark.parametrize("tool", TOOL_CALLS)
async def test_a_failure_inside_a_tool_is_a_tool_error_with_its_reason(
    mode: str, failure: str, tool: str, monkeypatch: Any, caplog: Any
) -> None:
    target, arguments = TOOL_CALLS[tool]
    monkeypatch.setattr(target, _failing(FAILURES[failure][0]))
    async with connect(mode) as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error
    assert text_of(result) == f"Error executing tool {tool}: {FAILURES[failure][1]}"
    logged = [r for r in caplog.records if r.exc_info and r.name.startswith("backend_patterns")]
    if failure == "bug":  # the traceback stays on the server, in its log
        assert [type(r.exc_info[1]) for r in logged] == [RuntimeError]
    else:
        assert logged == []


@pytest.mark.parametrize("failure", FAILURES)
async def test_a_failure_inside_a_resource_or_the_prompt_carries_its_reason(
    failure: str, monkeypatch: Any
) -> None:
    exc = FAILURES[failure][0]
    monkeypatch.setattr("backend_patterns.mcp.server.pattern_document", _failing(exc))
    monkeypatch.setattr("backend_patterns.mcp.server.apply_prompt", _failing(exc))
    async with connect("auto") as client:
        with pytest.raises(MCPError) as resource:
            await client.read_resource("pattern://websocket_handler")
        with pytest.raises(MCPError) as prompt:
            await client.get_prompt("apply_pattern", {"pattern": "websocket_handler", "task": "x"})
    assert resource.value.error.message == FAILURES[failure][1]
    assert resource.value.error.code == INTERNAL_ERROR
    assert prompt.value.error.message == FAILURES[failure][1]
    assert prompt.value.error.code == INTERNAL_ERROR


async def test_unknown_names_in_a_resource_or_the_prompt_are_invalid_params() -> None:
    async with connect("auto") as client:
        with pytest.raises(MCPError) as resource:
            await client.read_resource("pattern://websocket_handlr")
        with pytest.raises(MCPError) as prompt:
            await client.get_prompt("apply_pattern", {"pattern": "websocket_handlr", "task": "x"})
        with pytest.raises(MCPError) as big:
            await client.get_prompt(
                "apply_pattern", {"pattern": "websocket_handler", "task": "x" * (TASK_MAX + 1)}
            )
    assert resource.value.error.code == INVALID_PARAMS
    assert prompt.value.error.code == INVALID_PARAMS
    assert "Did you mean 'websocket_handler'?" in prompt.value.error.message
    assert big.value.error.code == INVALID_PARAMS
    assert f"the limit is {TASK_MAX:,} bytes" in big.value.error.message


async def test_a_skill_file_gone_missing_is_reported_with_the_os_error(tmp_path: Any) -> None:
    pack = load_pack(copy_pack(tmp_path / "pack"))
    pack.skill_path.unlink()
    async with Client(build_server(pack)) as client:
        with pytest.raises(MCPError) as missing:
            await client.read_resource("skill://SKILL.md")
    assert missing.value.error.message.startswith("internal error: FileNotFoundError: ")
    assert str(pack.skill_path) in missing.value.error.message


# ---- hostile input: lone surrogates, unknown arguments, sizes, slow calls ---------------------


@pytest.mark.parametrize("mode", MODES)
async def test_a_lone_surrogate_is_a_tool_error(mode: str) -> None:
    async with connect(mode) as client:
        task = await client.call_tool("suggest_patterns", {"task": "websocket \ud800 chat"})
        params = await client.call_tool(
            "render_pattern", {"pattern": "crud_endpoint", "params": {"resource": "a\udfffb"}}
        )
        after = await client.call_tool("suggest_patterns", {"task": TASK})
    assert task.is_error
    assert "'task' is not valid Unicode text" in text_of(task)
    assert params.is_error
    assert "'params.resource' is not valid Unicode text" in text_of(params)
    assert not after.is_error  # the connection is still fine


@pytest.mark.parametrize("mode", MODES)
async def test_an_unknown_argument_is_refused(mode: str) -> None:
    async with connect(mode) as client:
        result = await client.call_tool("suggest_patterns", {"task": TASK, "topp": 1})
    assert result.is_error
    assert text_of(result) == (
        "suggest_patterns does not take the argument 'topp'; "
        "it takes 'task', 'code', 'path', 'top'."
    )


async def test_list_patterns_and_each_resource_are_small() -> None:
    pack = load_pack()
    async with connect("auto") as client:
        listed = await client.call_tool("list_patterns", {})
        sizes = {}
        tests = {}  # the tests' templates, read only by a client that wants the tests
        for spec in pack.patterns.values():
            uris = [(f"pattern://{spec.name}", False)]
            uris += [(f"pattern://{spec.name}/{f.template}", f.tests) for f in spec.files]
            for uri, is_test in uris:
                text = (await client.read_resource(uri)).contents[0].text
                (tests if is_test else sizes)[uri] = len(text.encode("utf-8"))
        with pytest.raises(MCPError, match=r"has no template 'nope\.j2'"):
            await client.read_resource("pattern://crud_endpoint/nope.j2")
        with pytest.raises(MCPError):
            await client.read_resource("pattern://crud_endpoint/../../SKILL.md")
    assert len(text_of(listed).encode("utf-8")) < 2 * 1024
    assert max(sizes.values()) < 16 * 1024, sizes
    assert max(tests.values()) < 24 * 1024, tests


def _slow(seconds: float, real: Any) -> Any:
    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(seconds)
        return real(*args, **kwargs)

    return slow


async def test_a_slow_call_does_not_hold_up_a_fast_one(monkeypatch: Any) -> None:
    import backend_patterns.match as match

    monkeypatch.setattr(match, "suggest", _slow(1.5, match.suggest))
    done: list[str] = []
    async with connect("auto") as client:

        async def slow() -> None:
            await client.call_tool("suggest_patterns", {"task": TASK})
            done.append("slow")

        async def fast() -> None:
            await anyio.sleep(0.2)
            result = await client.call_tool("list_patterns", {})
            assert not result.is_error
            done.append("fast")

        async with anyio.create_task_group() as tg:
            tg.start_soon(slow)
            tg.start_soon(fast)
    assert done == ["fast", "slow"]


async def test_a_call_past_the_deadline_is_a_tool_error(monkeypatch: Any) -> None:
    import backend_patterns.match as match

    monkeypatch.setattr(match, "suggest", _slow(3, match.suggest))
    async with Client(build_server(load_pack(), tool_timeout=0.5)) as client:
        started = time.monotonic()
        result = await client.call_tool("suggest_patterns", {"task": TASK})
        took = time.monotonic() - started
        fine = await client.call_tool("list_patterns", {})
    assert result.is_error
    assert "did not finish within 0.5 seconds" in text_of(result)
    assert took < 2.5
    assert not fine.is_error


async def test_a_cancelled_call_leaves_the_server_answering(monkeypatch: Any) -> None:
    import backend_patterns.match as match

    monkeypatch.setattr(match, "suggest", _slow(3, match.suggest))
    async with connect("auto") as client:
        started = time.monotonic()
        with anyio.move_on_after(0.3):  # the client cancels: notifications/cancelled
            await client.call_tool("suggest_patterns", {"task": TASK})
        fine = await client.call_tool("list_patterns", {})
        took = time.monotonic() - started
    assert not fine.is_error
    assert took < 2.5
