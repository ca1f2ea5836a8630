"""End to end in the real OpenAI Codex CLI: ``codex exec`` in a project set up by ``bap install
codex``, its model provider a loopback stub of ours speaking the Responses API
(``tests/_model_stub.py``), whose recorded requests show what Codex sent to the model: the skill,
our MCP tools, and the answer of the one the stub calls.

Codex starts MCP servers in the background and sends its first request with the tools of the
servers that are up by then; ``bap mcp`` takes about a second to start, so its tools join from a
later request. ``required = true`` (here in the user's ``~/.codex/config.toml``, layered over the
project entry ``bap install`` wrote) makes Codex wait for the server before its first request.

The hooks ``bap install codex`` writes to ``.codex/hooks.json`` run in the second test: the prompt
hook's context reaches the model, and an ``apply_patch`` that adds a BAP001 bug comes back as the
PostToolUse block. Codex offers ``apply_patch`` to the models of its catalogue (``gpt-5.5`` here,
served by the stub) and runs a project's new hooks only once the user trusted them (``/hooks``);
``--dangerously-bypass-hook-trust`` is Codex's switch for automation that vetted them.

``@openai/codex`` is installed once with npm into ``$BAP_NPM_CACHE/codex`` at the version
``.ci/run`` pins (``tests/_npm_cli.py``). Without npm it skips locally and fails with ``CI=true``.
Network: 127.0.0.1 only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from _model_stub import JSONB_MODULE, ModelStub
from _npm_cli import npm_cli, run_bounded

BIN = Path(sys.executable).parent
PROMPT = "add a websocket endpoint for chat"
VERSION = "0.171.0"  # as pinned in .ci/run
NAMESPACE = "mcp__backend_api_patterns"  # Codex's namespace tool for our server's tools
TOOLS = {"check_code", "list_patterns", "plan_add", "render_pattern", "suggest_patterns"}


@pytest.fixture(scope="module")
def codex() -> Path:
    return npm_cli("@openai/codex", VERSION, "codex", "codex")


def _reply(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Call our ``suggest_patterns`` tool, then finish: two requests, a tool round trip between."""
    if "function_call_output" in json.dumps(body.get("input")):
        return [{"type": "text", "text": "Done."}]
    task = {"task": "websocket chat with rooms"}
    return [
        {"type": "tool_use", "namespace": NAMESPACE, "name": "suggest_patterns", "input": task}
    ]


def _config(url: str, project: Path, model: str = "stub-model") -> str:
    return (
        f'model = "{model}"\nmodel_provider = "stub"\n\n'
        '[model_providers.stub]\nname = "stub"\n'
        f'base_url = "{url}/v1"\nwire_api = "responses"\nenv_key = "BAP_STUB_API_KEY"\n\n'
        f'[projects."{project}"]\ntrust_level = "trusted"\n'
        # No curated-plugin sync with github.com: the model stub is the only network.
        "\n[features]\nplugins = false\n"
        # Layered over the project's entry: wait for `bap mcp` before the first request.
        "\n[mcp_servers.backend-api-patterns]\nrequired = true\n"
    )


def test_codex_sends_the_skill_and_our_mcp_tools_and_calls_one(
    codex: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    home = tmp_path / "home"
    project.mkdir()
    (home / ".codex").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(project)], check=True, timeout=30)
    installed = subprocess.run(
        [str(BIN / "bap"), "install", "codex", "--project", str(project)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stdout + installed.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CODEX_"))}
    env.update(
        HOME=str(home),
        PATH=f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        BAP_STUB_API_KEY="test",
    )

    with ModelStub(_reply, max_requests=8, timeout=90) as stub:
        (home / ".codex" / "config.toml").write_text(_config(stub.url, project))
        done = run_bounded(
            [str(codex), "exec", "--json", "--skip-git-repo-check", PROMPT],
            env=env, cwd=project, timeout=120,
        )  # fmt: skip
        listed = run_bounded([str(codex), "mcp", "list"], env=env, cwd=project, timeout=60)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    requests = [r.body for r in stub.requests if r.path == "/v1/responses"]
    assert len(requests) == 2, (out, [r.path for r in stub.requests])
    first, second = requests

    # The skill `bap install codex` put in .agents/skills/ is listed to the model.
    instructions = json.dumps(first["input"])
    assert "- backend-api-patterns: Patterns for FastAPI" in instructions
    assert "backend-api-patterns/SKILL.md" in instructions
    assert PROMPT in instructions
    # Our MCP tools, grouped under the server's namespace, with their schemas.
    (ours,) = [t for t in first["tools"] if t.get("name") == NAMESPACE]
    assert ours["type"] == "namespace"
    assert {t["name"] for t in ours["tools"]} == TOOLS
    suggest = next(t for t in ours["tools"] if t["name"] == "suggest_patterns")
    assert suggest["parameters"]["required"] == ["task"]
    # Codex called `bap mcp` and sent its answer back: the pattern that fits, and its command.
    (output,) = [i for i in second["input"] if i.get("type") == "function_call_output"]
    assert output["call_id"] == "call_1_0"
    text = output["output"]  # Codex puts "Wall time: ...\nOutput:\n" before the tool's JSON
    result = json.loads(text[text.index("{") :])
    (top, *_) = result["suggestions"]
    assert top["pattern"] == "websocket_handler"
    assert "websocket_handler" in top["command"]
    # The project's .codex/config.toml (trusted) registers `bap mcp` with Codex.
    assert listed.returncode == 0, listed.stdout + listed.stderr
    (row,) = [line for line in listed.stdout.splitlines() if "backend-api-patterns" in line]
    assert row.split()[:3] == ["backend-api-patterns", "bap", "mcp"]
    assert "enabled" in row
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert last["type"] == "turn.completed", done.stdout


def _patch_in(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Add models.py (a JSONB change never flagged) with apply_patch, then finish."""
    if "custom_tool_call_output" in json.dumps(body.get("input")):
        return [{"type": "text", "text": "Done."}]
    added = "".join(f"+{line}\n" for line in JSONB_MODULE.splitlines())
    patch = f"*** Begin Patch\n*** Add File: models.py\n{added}*** End Patch\n"
    return [{"type": "custom_tool_use", "name": "apply_patch", "input": patch}]


def test_codex_runs_our_hooks_prompt_context_and_post_tool_block(
    codex: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    home = tmp_path / "home"
    project.mkdir()
    (home / ".codex").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(project)], check=True, timeout=30)
    installed = subprocess.run(
        [str(BIN / "bap"), "install", "codex", "--project", str(project)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (project / ".codex" / "hooks.json").is_file()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CODEX_"))}
    env.update(
        HOME=str(home),
        PATH=f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        BAP_STUB_API_KEY="test",
    )
    command = [str(codex), "exec", "--json", "--skip-git-repo-check"]

    with ModelStub(_patch_in, max_requests=6, timeout=90) as stub:
        (home / ".codex" / "config.toml").write_text(_config(stub.url, project, "gpt-5.5"))
        done = run_bounded(
            [*command, "--dangerously-bypass-hook-trust", PROMPT],
            env=env,
            cwd=project,
            timeout=120,
        )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    requests = [r.body for r in stub.requests if r.path == "/v1/responses"]
    assert len(requests) == 2, (out, [r.path for r in stub.requests])
    first, second = requests
    assert "apply_patch" in {t.get("name") for t in first["tools"]}

    # UserPromptSubmit: our context, as a developer message, naming the installed pack's folder.
    notes = [
        part["text"]
        for item in first["input"]
        if item.get("type") == "message" and item.get("role") == "developer"
        for part in item["content"]
        if "backend-api-patterns: pattern 'websocket_handler' fits" in part.get("text", "")
    ]
    assert len(notes) == 1, first["input"]
    assert ".agents/skills/backend-api-patterns/patterns/websocket_handler/" in notes[0]
    # The patch was applied, and PostToolUse replaced its result with our BAP001 block.
    assert (project / "models.py").read_text() == JSONB_MODULE
    (result,) = [i for i in second["input"] if i.get("type") == "custom_tool_call_output"]
    assert result["call_id"] == "call_1_0"
    assert result["output"].startswith("backend-api-patterns found 1 BAP001 problem in models.py")
    assert 'flag_modified(agent, "agent_metadata")' in result["output"]
