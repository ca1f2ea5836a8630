"""End to end in the real OpenAI Codex CLI: ``codex exec`` in a project set up by ``bap install
codex``, its model provider a loopback stub of ours speaking the Responses API
(``tests/_model_stub.py``), whose recorded requests show the skill Codex sent to the model.

``@openai/codex`` is installed once with npm into ``$BAP_NPM_CACHE/codex`` (``.ci/run`` warms it).
Without npm it skips locally and fails with ``CI=true``. Network: 127.0.0.1 only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from _model_stub import ModelStub
from conftest import service_missing

CACHE = Path(os.environ.get("BAP_NPM_CACHE", "/tmp/bap-npm-cache"))
PREFIX = CACHE / "codex"
BIN = Path(sys.executable).parent
PROMPT = "add a websocket endpoint for chat"


@pytest.fixture(scope="module")
def codex() -> Path:
    found = PREFIX / "node_modules" / ".bin" / "codex"
    if not found.exists():
        npm = shutil.which("npm")
        if npm is None:
            service_missing("npm (Node.js) is not installed")
        PREFIX.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, npm_config_cache=str(CACHE), npm_config_update_notifier="false")
        done = subprocess.run(
            [str(npm), "install", "--prefix", str(PREFIX), "@openai/codex"],
            capture_output=True, text=True, env=env, timeout=600, check=False,
        )  # fmt: skip
        if done.returncode != 0 or not found.exists():
            service_missing(f"cannot install @openai/codex ({done.stderr[-300:]})")
    return found


def _reply(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Run one shell command, then finish: two requests, the second after a tool round trip."""
    if "function_call_output" in json.dumps(body.get("input")):
        return [{"type": "text", "text": "Done."}]
    return [{"type": "tool_use", "name": "exec_command", "input": {"cmd": "echo hi"}}]


def _config(url: str, project: Path) -> str:
    return (
        'model = "stub-model"\nmodel_provider = "stub"\n\n'
        '[model_providers.stub]\nname = "stub"\n'
        f'base_url = "{url}/v1"\nwire_api = "responses"\nenv_key = "BAP_STUB_API_KEY"\n\n'
        f'[projects."{project}"]\ntrust_level = "trusted"\n'
        # No curated-plugin sync with github.com: the model stub is the only network.
        "\n[features]\nplugins = false\n"
    )


def test_codex_sends_the_installed_skill_and_loads_our_mcp_server(
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
        done = subprocess.run(
            [str(codex), "exec", "--json", "--skip-git-repo-check", PROMPT],
            capture_output=True, text=True, env=env, cwd=project, timeout=120, check=False,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        listed = subprocess.run(
            [str(codex), "mcp", "list"],
            capture_output=True, text=True, env=env, cwd=project, timeout=60, check=False,
        )  # fmt: skip
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
    # The tool round trip went through Codex: our scripted command ran and came back.
    outputs = [i for i in second["input"] if i.get("type") == "function_call_output"]
    assert outputs, second["input"]
    assert "hi" in json.dumps(outputs)
    # The project's .codex/config.toml (trusted) registers `bap mcp` with Codex.
    assert listed.returncode == 0, listed.stdout + listed.stderr
    (row,) = [line for line in listed.stdout.splitlines() if "backend-api-patterns" in line]
    assert row.split()[:3] == ["backend-api-patterns", "bap", "mcp"]
    assert "enabled" in row
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert last["type"] == "turn.completed", done.stdout
