"""End to end in the real Gemini CLI: ``gemini -p`` in a project set up by ``bap install gemini``,
its model a loopback stub of ours speaking the Gemini API (``GOOGLE_GEMINI_BASE_URL``,
``tests/_model_stub.py``), whose recorded requests show what the CLI sent: the skill, our MCP
tools, the answer of the one the stub calls, the BeforeAgent hook's context and, after a
``write_file`` of a BAP001 bug, the AfterTool hook's finding appended to the tool's result.

Headless Gemini CLI offers the model only tools that need no confirmation, so the test runs with
``--approval-mode yolo`` (write_file and the MCP tools then take part); ``-m`` names the model,
which skips the CLI's model-routing request; ``GEMINI_CLI_TRUST_WORKSPACE`` trusts the project
folder, as headless automation must.

``@google/gemini-cli`` (Node.js 20+) is installed once into ``$BAP_NPM_CACHE/gemini-cli`` at the
version ``.ci/run`` pins. Network: 127.0.0.1 only (its telemetry upload fails offline, quietly).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from _model_stub import JSONB_MODULE, ModelStub, Script
from _npm_cli import npm_cli, run_bounded

VERSION = "0.61.0"  # as pinned in .ci/run
BIN = Path(sys.executable).parent
PROMPT = "add a websocket endpoint for chat"
PREFIX = "mcp_backend-api-patterns_"  # Gemini CLI names MCP tools mcp_<server>_<tool>
TOOLS = {"check_code", "list_patterns", "plan_add", "render_pattern", "suggest_patterns"}


@pytest.fixture(scope="module")
def gemini() -> Path:
    return npm_cli("@google/gemini-cli", VERSION, "gemini-cli", "gemini", node=20)


def _answered(body: dict[str, Any]) -> list[str]:
    """The names of the tools whose results this request carries back."""
    return [
        part["functionResponse"]["name"]
        for content in body.get("contents") or []
        for part in content.get("parts") or []
        if isinstance(part, dict) and "functionResponse" in part
    ]


def _script(target: Path) -> Script:
    """Call suggest_patterns, then write the buggy module, then finish."""

    def reply(body: dict[str, Any]) -> list[dict[str, Any]]:
        answered = _answered(body)
        if "write_file" in answered:
            return [{"type": "text", "text": "Done."}]
        if answered:
            write = {"file_path": str(target), "content": JSONB_MODULE}
            return [{"type": "tool_use", "name": "write_file", "input": write}]
        task = {"task": "websocket chat with rooms"}
        return [{"type": "tool_use", "name": f"{PREFIX}suggest_patterns", "input": task}]

    return reply


def _texts(body: dict[str, Any]) -> list[str]:
    """Every text part of the request's ``contents``."""
    return [
        part["text"]
        for content in body.get("contents") or []
        for part in content.get("parts") or []
        if isinstance(part.get("text"), str)
    ]


def _results(body: dict[str, Any]) -> dict[str, str]:
    """The tool results the request carries back: tool name -> the output the model reads."""
    return {
        part["functionResponse"]["name"]: str(part["functionResponse"]["response"]["output"])
        for content in body.get("contents") or []
        for part in content.get("parts") or []
        if "functionResponse" in part
    }


def test_gemini_sends_skill_tools_hook_context_and_the_after_tool_finding(
    gemini: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    home = tmp_path / "home"
    project.mkdir()
    (home / ".gemini").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(project)], check=True, timeout=30)
    installed = subprocess.run(
        [str(BIN / "bap"), "install", "gemini", "--project", str(project)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stdout + installed.stderr
    auth = {"security": {"auth": {"selectedType": "gemini-api-key"}}}
    (home / ".gemini" / "settings.json").write_text(json.dumps(auth))
    target = project / "models.py"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GEMINI_", "GOOGLE_"))}

    with ModelStub(_script(target), max_requests=8, timeout=150) as stub:
        env.update(
            HOME=str(home),
            PATH=f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            GEMINI_API_KEY="test",
            GOOGLE_GEMINI_BASE_URL=stub.url,
            GEMINI_CLI_TRUST_WORKSPACE="true",
        )
        done = run_bounded(
            [str(gemini), "-p", PROMPT, "-m", "gemini-2.5-flash", "--approval-mode", "yolo",
             "--output-format", "json"],
            env=env, cwd=project, timeout=140,
        )  # fmt: skip
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    requests = [r.body for r in stub.requests if r.path.endswith(":streamGenerateContent")]
    assert len(requests) == 3, (out, [r.path for r in stub.requests])
    first, second, third = requests

    # The skill bap installed in .gemini/skills/ is listed in the system instruction.
    system = json.dumps(first.get("systemInstruction"))
    assert "<name>backend-api-patterns</name>" in system
    assert ".gemini/skills/backend-api-patterns/SKILL.md" in system
    # Our MCP tools are declared to the model.
    declared = {
        d["name"] for t in first.get("tools") or [] for d in t.get("functionDeclarations") or []
    }
    assert {name for name in declared if name.startswith(PREFIX)} == {PREFIX + n for n in TOOLS}
    # BeforeAgent: our context reaches the model with the prompt, naming the installed pack.
    (context,) = [t for t in _texts(first) if "fits this prompt" in t]
    assert "backend-api-patterns: pattern 'websocket_handler' fits this prompt" in context
    assert ".gemini/skills/backend-api-patterns/patterns/websocket_handler/" in context
    # The MCP tool ran in `bap mcp` and its answer came back.
    suggested = _results(second)[f"{PREFIX}suggest_patterns"]
    body = json.loads(suggested[suggested.index("{") : suggested.rindex("}") + 1])
    assert body["suggestions"][0]["pattern"] == "websocket_handler"
    # write_file wrote the bug; AfterTool appended our finding to the tool's result.
    assert target.read_text() == JSONB_MODULE
    written = _results(third)["write_file"]
    assert written.startswith("Successfully created")  # the tool's own result is kept
    assert "backend-api-patterns found 1 BAP001 problem in models.py" in written
    assert 'flag_modified(agent, "agent_metadata")' in written
