"""End to end in the real Claude Code: ``claude -p`` in a project set up by ``bap install claude
--mcp``, its model a loopback stub of ours (``tests/_model_stub.py``) whose recorded requests
show what the CLI sent: the skill, the UserPromptSubmit context and the PostToolUse block.

``@anthropic-ai/claude-code`` comes from the npm cache of tests/test_plugin.py
(``$BAP_NPM_CACHE/claude-code``, which ``.ci/run`` warms). Without it it skips locally and fails
with ``CI=true``. Network: 127.0.0.1 only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from _model_stub import JSONB_MODULE, ModelStub, Script, anthropic_text
from test_plugin import claude  # noqa: F401  (the install-once fixture)

BIN = Path(sys.executable).parent
PROMPT = "add a websocket endpoint for chat"
MCP_PREFIX = "mcp__backend-api-patterns__"


def _called(body: dict[str, Any]) -> list[str]:
    """The names of the tools the assistant has called so far in this conversation."""
    return [
        block.get("name", "")
        for message in body.get("messages") or []
        if message.get("role") == "assistant" and isinstance(message.get("content"), list)
        for block in message["content"]
        if isinstance(block, dict) and block.get("type") == "tool_use"
    ]


def _tools(body: dict[str, Any]) -> set[str]:
    return {t.get("name", "") for t in body.get("tools") or [] if isinstance(t, dict)}


def _script(target: Path) -> Script:
    """Wait for the MCP server if it is still connecting, write the file, then finish."""

    def reply(body: dict[str, Any]) -> list[dict[str, Any]]:
        tools, called = _tools(body), _called(body)
        if "Write" not in tools:  # a side request (title, summary...): plain text
            return [{"type": "text", "text": "ok"}]
        connected = any(name.startswith(MCP_PREFIX) for name in tools)
        if not connected and "WaitForMcpServers" in tools and "WaitForMcpServers" not in called:
            wait = {"servers": ["backend-api-patterns"]}
            return [{"type": "tool_use", "name": "WaitForMcpServers", "input": wait}]
        if "Write" not in called:
            write = {"file_path": str(target), "content": JSONB_MODULE}
            return [{"type": "tool_use", "name": "Write", "input": write}]
        return [{"type": "text", "text": "Done."}]

    return reply


def test_claude_code_sends_skill_prompt_context_and_post_tool_block(
    claude: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    project = tmp_path / "project"
    home = tmp_path / "home"
    project.mkdir()
    (home / ".claude").mkdir(parents=True)
    # Project MCP servers need approval; the temporary HOME gives it.
    (home / ".claude" / "settings.json").write_text(
        json.dumps({"enableAllProjectMcpServers": True})
    )
    path_env = f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}"
    subprocess.run(["git", "init", "-q", str(project)], check=True, timeout=30)
    installed = subprocess.run(
        [str(BIN / "bap"), "install", "claude", "--mcp", "--project", str(project)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stdout + installed.stderr
    target = project / "app" / "models.py"

    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CLAUDE"))}
    with ModelStub(_script(target), max_requests=12, timeout=90) as stub:
        env.update(
            HOME=str(home),
            PATH=path_env,
            ANTHROPIC_BASE_URL=stub.url,
            ANTHROPIC_API_KEY="test",
            DISABLE_AUTOUPDATER="1",
            DISABLE_TELEMETRY="1",
            DISABLE_ERROR_REPORTING="1",
            CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
            BAP_HOOK_TIMEOUT="20",
        )
        done = subprocess.run(
            [str(claude), "-p", PROMPT, "--output-format", "json",
             "--permission-mode", "acceptEdits", "--max-turns", "4"],
            capture_output=True, text=True, env=env, cwd=project, timeout=120, check=False,
        )  # fmt: skip
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    main = [r.body for r in stub.requests if "Write" in _tools(r.body)]
    assert main, (out, [r.path for r in stub.requests])
    first = main[0]
    writing = [
        b for b in main if "Write" not in _called(b) and MCP_PREFIX + "check_code" in _tools(b)
    ]
    after = [b for b in main if _called(b)[-1:] == ["Write"]]
    assert writing, (out, [_called(b) for b in main])
    assert after, (out, [_called(b) for b in main])

    # (a) The skill is listed in what Claude Code sent to the model (the Skill tool's listing).
    assert "- backend-api-patterns: Patterns for FastAPI" in anthropic_text(first)
    # Our MCP server's tools are offered, from `.mcp.json`.
    tools = _tools(writing[0])
    for name in ("suggest_patterns", "check_code", "render_pattern", "list_patterns"):
        assert MCP_PREFIX + name in tools, sorted(tools)
    # (b) The UserPromptSubmit hook's context reaches the model with the prompt.
    text = anthropic_text(first)
    assert PROMPT in text
    assert "UserPromptSubmit hook additional context: backend-api-patterns: pattern '" in text
    assert "pattern 'websocket_handler' fits this prompt" in text
    # (c) The Write happened and the PostToolUse block came back in the next request.
    assert target.read_text() == JSONB_MODULE
    messages = after[0]["messages"]
    (turn,) = [i for i, m in enumerate(messages) if "Write" in _called({"messages": [m]})]
    last = anthropic_text({"messages": messages[turn + 1 :]})  # what came back after the Write
    assert "PostToolUse:Write hook blocking error" in last, last
    assert "BAP001" in last
    assert 'Fix: call `flag_modified(agent, "agent_metadata")` before commit' in last
    result = json.loads(done.stdout)
    assert result.get("is_error") is False, result
