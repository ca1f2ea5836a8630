"""End to end in the real Claude Code with the plugin: ``claude -p`` in a fresh project (no
``bap install``), with this checkout added as a marketplace and its plugin installed in a
temporary ``HOME``, its model a loopback stub of ours (``tests/_model_stub.py``) whose recorded
requests show what the plugin brought: the skill, the MCP tools, the UserPromptSubmit context and
the PostToolUse block. The plugin's hooks and MCP server call ``bap`` from ``PATH``: this
virtualenv's ``bin`` comes first.

``@anthropic-ai/claude-code`` at the version ``.ci/run`` pins (``tests/_npm_cli.py``, through the
fixture of tests/test_plugin.py). Without npm it skips locally and fails with ``CI=true``.
Network: 127.0.0.1 only.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from _model_stub import JSONB_MODULE, ModelStub, Script, anthropic_text
from _npm_cli import run_bounded
from test_e2e_claude import PROMPT, _called, _tools
from test_plugin import claude, install_plugin  # noqa: F401  (the install-once fixture)

BIN = Path(sys.executable).parent
SERVER = "plugin:backend-api-patterns:backend-api-patterns"
MCP_PREFIX = "mcp__plugin_backend-api-patterns_backend-api-patterns__"
TOOLS = ("check_code", "list_patterns", "plan_add", "render_pattern", "suggest_patterns")


def _script(target: Path) -> Script:
    """As in tests/test_e2e_claude.py: wait for the plugin's MCP server, write the file, finish."""

    def reply(body: dict[str, Any]) -> list[dict[str, Any]]:
        tools, called = _tools(body), _called(body)
        if "Write" not in tools:  # a side request (title, summary...): plain text
            return [{"type": "text", "text": "ok"}]
        connected = any(name.startswith(MCP_PREFIX) for name in tools)
        if not connected and "WaitForMcpServers" in tools and "WaitForMcpServers" not in called:
            return [
                {"type": "tool_use", "name": "WaitForMcpServers", "input": {"servers": [SERVER]}}
            ]
        if "Write" not in called:
            write = {"file_path": str(target), "content": JSONB_MODULE}
            return [{"type": "tool_use", "name": "Write", "input": write}]
        return [{"type": "text", "text": "Done."}]

    return reply


def test_plugin_brings_skill_mcp_tools_prompt_context_and_post_tool_block(
    claude: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    home = install_plugin(claude, tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    target = project / "app" / "models.py"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CLAUDE"))}
    with ModelStub(_script(target), max_requests=12, timeout=90) as stub:
        env.update(
            HOME=str(home),
            PATH=f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            ANTHROPIC_BASE_URL=stub.url,
            ANTHROPIC_API_KEY="test",
            DISABLE_AUTOUPDATER="1",
            DISABLE_TELEMETRY="1",
            DISABLE_ERROR_REPORTING="1",
            CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
            BAP_HOOK_TIMEOUT="20",
        )
        done = run_bounded(
            [str(claude), "-p", PROMPT, "--output-format", "json",
             "--permission-mode", "acceptEdits", "--max-turns", "4"],
            env=env, cwd=project, timeout=120,
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

    # The plugin's skill is in the Skill tool's listing, under the plugin's namespace.
    text = anthropic_text(first)
    assert "- backend-api-patterns:backend-api-patterns: Patterns for FastAPI" in text
    # Its MCP server's tools are offered, named after the plugin's server, with its instructions.
    tools = _tools(writing[0])
    for name in TOOLS:
        assert MCP_PREFIX + name in tools, sorted(tools)
    assert f"## {SERVER}\nPatterns for FastAPI" in anthropic_text(after[0])
    # The plugin's UserPromptSubmit hook adds its context to the prompt.
    assert PROMPT in text
    assert "UserPromptSubmit hook additional context: backend-api-patterns: pattern '" in text
    assert "pattern 'websocket_handler' fits this prompt" in text
    # The Write happened and the plugin's PostToolUse block came back in the next request.
    assert target.read_text() == JSONB_MODULE
    messages = after[0]["messages"]
    (turn,) = [i for i, m in enumerate(messages) if "Write" in _called({"messages": [m]})]
    last = anthropic_text({"messages": messages[turn + 1 :]})  # what came back after the Write
    assert 'PostToolUse:Write hook blocking error from command: "if command -v bap' in last, last
    assert "BAP001" in last
    assert 'Fix: call `flag_modified(agent, "agent_metadata")` before commit' in last
    assert json.loads(done.stdout).get("is_error") is False, done.stdout
    # The plugin wrote nothing into the project: all there is is the file the model wrote.
    assert sorted(p.relative_to(project).as_posix() for p in project.rglob("*")) == [
        "app",
        "app/models.py",
    ]
