"""`bap mcp` as a real process: over stdio (SDK client, and raw lines) and over streamable HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

BAP = str(Path(sys.executable).parent / "bap")
TASK = "Add a WebSocket endpoint that broadcasts chat messages to a room"


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_stdio_subprocess(mode: str, tmp_path: Path) -> None:
    params = StdioServerParameters(command=BAP, args=["mcp"], env=_env(), cwd=str(tmp_path))
    async with Client(params, mode=mode) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        result = await client.call_tool("suggest_patterns", {"task": TASK})
        error = await client.call_tool("render_pattern", {"pattern": "websocket_handlr"})
    assert tools == {
        "suggest_patterns",
        "render_pattern",
        "plan_add",
        "list_patterns",
        "check_code",
    }
    assert not result.is_error
    assert result.structured_content["suggestions"][0]["pattern"] == "websocket_handler"
    assert error.is_error
    assert list(tmp_path.iterdir()) == []  # nothing written


def _request(rid: int, method: str, params: dict[str, Any]) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})


def test_stdout_is_protocol_only_and_a_malformed_line_does_not_stop_it(tmp_path: Path) -> None:
    init = {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "raw", "version": "1"},
    }
    call = {"name": "suggest_patterns", "arguments": {"task": TASK}}
    lines = [
        _request(1, "initialize", init),
        json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        "this is not JSON at all",
        '{"jsonrpc": "2.0", "id": 7, "method": ',
        _request(2, "tools/call", call),
        _request(3, "tools/call", {"name": "render_pattern", "arguments": {"pattern": "x"}}),
    ]
    with subprocess.Popen(
        [BAP, "mcp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=_env(),
    ) as proc:
        assert proc.stdin is not None
        assert proc.stdout is not None
        proc.stdin.write("\n".join(lines) + "\n")
        proc.stdin.flush()
        replies: dict[Any, dict[str, Any]] = {}
        while not {1, 2, 3} <= set(replies):
            line = proc.stdout.readline()
            assert line, "the server closed stdout before answering"
            message = json.loads(line)  # every stdout line is a JSON-RPC message
            assert message["jsonrpc"] == "2.0"
            replies[message.get("id")] = message
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
    assert replies[1]["result"]["serverInfo"]["name"] == "backend-api-patterns"
    suggestions = replies[2]["result"]["structuredContent"]["suggestions"]
    assert suggestions[0]["pattern"] == "websocket_handler"
    assert replies[3]["result"]["isError"] is True
    assert "unknown pattern 'x'" in replies[3]["result"]["content"][0]["text"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for(port: int, proc: subprocess.Popen[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(
                f"bap mcp --http exited: {proc.stderr.read() if proc.stderr else ''}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("bap mcp --http did not start listening")


async def test_streamable_http(tmp_path: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [BAP, "mcp", "--http", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=_env(),
    )
    try:
        _wait_for(port, proc)
        async with Client(f"http://127.0.0.1:{port}/mcp") as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            result = await client.call_tool("suggest_patterns", {"task": TASK})
            listed = await client.call_tool("list_patterns", {})
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if proc.stdout:
            proc.stdout.close()
        if proc.stderr:
            proc.stderr.close()
    assert "render_pattern" in tools
    assert result.structured_content["suggestions"][0]["pattern"] == "websocket_handler"
    assert listed.structured_content["patterns"]


def test_http_binds_loopback_by_default() -> None:
    from backend_patterns.mcp._command import parse_address

    assert parse_address("8123") == ("127.0.0.1", 8123)
    assert parse_address("0.0.0.0:80") == ("0.0.0.0", 80)
    assert parse_address("[::1]:9000") == ("::1", 9000)


@pytest.mark.parametrize("value", ["http", "127.0.0.1:", "70000", "host:0"])
def test_bad_http_address_is_a_usage_error(value: str) -> None:
    done = subprocess.run(
        [BAP, "mcp", "--http", value], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("Error: --http takes [HOST:]PORT")


def test_malformed_lines_and_lone_surrogates_are_answered_over_stdio(tmp_path: Path) -> None:
    init = {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "raw", "version": "1"},
    }
    call = {"name": "suggest_patterns", "arguments": {"task": "websocket \ud800 chat"}}
    lines = [
        _request(1, "initialize", init),
        json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        "this is not JSON at all",
        json.dumps({"id": 8, "hello": "not JSON-RPC"}),
        _request(2, "tools/call", call),  # json.dumps writes the surrogate as \ud800
    ]
    done = subprocess.run(
        ["timeout", "60", BAP, "mcp"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_env(),
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    replies = [json.loads(line) for line in done.stdout.splitlines()]
    by_id = {r.get("id"): r for r in replies if r.get("id") is not None}
    errors = [r["error"]["code"] for r in replies if "error" in r]
    assert -32700 in errors
    assert by_id[8]["error"]["code"] == -32600
    assert by_id[2]["result"]["isError"] is True
    assert "lone surrogate" in by_id[2]["result"]["content"][0]["text"]
