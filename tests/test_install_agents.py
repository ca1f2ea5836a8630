"""``bap install AGENT`` for Codex, Cursor, Copilot, Gemini CLI and OpenCode: the skill where the
agent reads skills, the server in its config format, merged, the hooks where the agent has JSON
hooks (Codex, Gemini CLI); uninstall gives the bytes back. The hooks and `bap mcp` read the pack
installed for the agent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from test_install import bap, snapshot

CASES = {
    "codex": (".agents/skills", ".codex/config.toml"),
    "cursor": (".cursor/skills", ".cursor/mcp.json"),
    "copilot": (".github/skills", ".vscode/mcp.json"),
    "gemini": (".gemini/skills", ".gemini/settings.json"),
    "opencode": (".opencode/skills", "opencode.json"),
}
USER_TOML = '# my codex config\nmodel = "o3"\n\n[mcp_servers.db]\ncommand = "db-mcp"\n'


def server(agent: str, config: Path) -> object:
    if agent == "codex":
        return tomlkit.parse(config.read_text())["mcp_servers"]["backend-api-patterns"].unwrap()
    key = {"copilot": "servers", "opencode": "mcp"}.get(agent, "mcpServers")
    return json.loads(config.read_text())[key]["backend-api-patterns"]


@pytest.mark.parametrize("agent", sorted(CASES))
def test_install_and_uninstall_each_agent(tmp_path: Path, agent: str) -> None:
    skills, config_rel = CASES[agent]
    config = tmp_path / config_rel
    config.parent.mkdir(parents=True, exist_ok=True)
    if agent == "codex":
        config.write_text(USER_TOML)
    else:
        key = {"copilot": "servers", "opencode": "mcp"}.get(agent, "mcpServers")
        config.write_text(json.dumps({"theme": "dark", key: {"db": {"command": "db"}}}, indent=4))
    before = snapshot(tmp_path)
    done = bap("install", agent, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / skills / "backend-api-patterns" / "SKILL.md").is_file()
    assert (tmp_path / skills / "backend-api-patterns" / ".bap-manifest.json").is_file()
    expected = {
        "copilot": {"type": "stdio", "command": "bap", "args": ["mcp"]},
        "opencode": {"type": "local", "command": ["bap", "mcp"], "enabled": True},
    }.get(agent, {"command": "bap", "args": ["mcp"]})
    assert server(agent, config) == expected
    if agent == "codex":
        assert config.read_text().startswith(USER_TOML)  # comments and layout kept
    first = snapshot(tmp_path)
    assert bap("install", agent, cwd=tmp_path).returncode == 0
    assert snapshot(tmp_path) == first  # idempotent
    assert bap("uninstall", agent, cwd=tmp_path).returncode == 0
    after = {k: v for k, v in snapshot(tmp_path).items() if not k.endswith(".bak")}
    assert after == before
    assert not (tmp_path / skills).exists()


def test_hook_options_are_refused_for_agents_without_our_hooks(tmp_path: Path) -> None:
    done = bap("install", "cursor", "--deny", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("Error: ")


# ---- hooks: Codex (.codex/hooks.json) and Gemini CLI (.gemini/settings.json) --------------------

HOOKED = {
    "codex": (".codex/hooks.json", {"UserPromptSubmit": None, "PreToolUse": "apply_patch",
                                    "PostToolUse": "apply_patch"}),
    "gemini": (".gemini/settings.json", {"BeforeAgent": None, "BeforeTool": "write_file|replace",
                                         "AfterTool": "write_file|replace"}),
}  # fmt: skip
ARGUMENT = {
    "UserPromptSubmit": "prompt", "BeforeAgent": "prompt", "PreToolUse": "pre-tool",
    "BeforeTool": "pre-tool", "PostToolUse": "post-tool", "AfterTool": "post-tool",
}  # fmt: skip


def _commands(hooks: dict[str, Any], event: str) -> list[str]:
    return [h["command"] for group in hooks[event] for h in group["hooks"]]


@pytest.mark.parametrize("agent", sorted(HOOKED))
def test_install_writes_the_agents_hooks_and_uninstall_takes_exactly_them(
    tmp_path: Path, agent: str
) -> None:
    rel, events = HOOKED[agent]
    path = tmp_path / rel
    path.parent.mkdir(parents=True)
    mine = {"type": "command", "command": "./my-lint.sh"}
    first_event = next(iter(events))
    user = {"theme": "dark", "hooks": {first_event: [{"hooks": [mine]}]}}
    path.write_text(json.dumps(user, indent=4) + "\n")
    before = snapshot(tmp_path)

    done = bap("install", agent, "--deny", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    hooks = json.loads(path.read_text())["hooks"]
    assert set(hooks) == set(events)
    for event, matcher in events.items():
        ours = [g for g in hooks[event] if g.get("hooks") != [mine]]
        assert [g.get("matcher") for g in ours] == [matcher]
        (command,) = ours[0]["hooks"]
        deny = " --deny" if ARGUMENT[event] == "pre-tool" else ""
        assert f"then bap hook {ARGUMENT[event]}{deny} --agent {agent};" in command["command"]
        assert command["command"].startswith("if command -v bap ")  # fails open without bap
    assert mine["command"] in _commands(hooks, first_event)  # the user's hook is kept
    if agent == "codex":
        assert "/hooks" in done.stdout  # Codex asks the user to trust new hooks
    again = snapshot(tmp_path)
    assert bap("install", agent, cwd=tmp_path).returncode == 0  # keeps --deny, changes nothing
    assert snapshot(tmp_path) == again

    assert bap("uninstall", agent, cwd=tmp_path).returncode == 0
    after = {k: v for k, v in snapshot(tmp_path).items() if not k.endswith(".bak")}
    assert after == before  # byte for byte: the user's hook and settings as they were


def test_hook_options_still_refused_where_there_are_no_hooks(tmp_path: Path) -> None:
    for agent in ("cursor", "copilot", "opencode"):
        done = bap("install", agent, "--deny", cwd=tmp_path)
        assert done.returncode == 2
        assert "--deny is for the hooks of claude, codex, gemini" in done.stderr
    done = bap("install", "codex", "--local", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("Error: --local is for claude's hooks")


def test_the_installed_hook_answers_in_the_agents_format(tmp_path: Path) -> None:
    """The exact command `bap install gemini` wrote, run by a shell as Gemini CLI runs it."""
    assert bap("install", "gemini", cwd=tmp_path).returncode == 0
    settings = json.loads((tmp_path / ".gemini" / "settings.json").read_text())
    (command,) = _commands(settings["hooks"], "BeforeAgent")
    payload = {"hook_event_name": "BeforeAgent", "cwd": str(tmp_path),
               "prompt": "websocket endpoint for chat rooms"}  # fmt: skip
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:/usr/bin:/bin")
    done = subprocess.run(["sh", "-c", command], input=json.dumps(payload), capture_output=True,
                          text=True, cwd=tmp_path, env=env, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)["hookSpecificOutput"]
    assert out["hookEventName"] == "BeforeAgent"
    assert "websocket_handler" in out["additionalContext"]


# ---- the pack the hooks and `bap mcp` read: the one installed for the agent --------------------


def _edit_installed_pack(skill: Path) -> str:
    """Change one pattern's description in the installed copy; returns the new description."""
    triggers = skill / "triggers.yaml"
    text = triggers.read_text()
    old = "description: WebSocket endpoint"
    assert text.count(old) == 1
    triggers.write_text(text.replace(old, "description: Team-tuned WebSocket endpoint"))
    return "Team-tuned WebSocket endpoint"


def _mcp_list_patterns(cwd: Path) -> dict[str, Any]:
    """`bap mcp` over stdio in ``cwd``: initialize, then one tools/call of list_patterns."""
    messages = [
        {"jsonrpc": "2.0", "id": 0, "method": "initialize",
         "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                    "clientInfo": {"name": "test", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
         "params": {"name": "list_patterns", "arguments": {}}},
    ]  # fmt: skip
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "bap"), "mcp"], cwd=cwd, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdin is not None
    assert proc.stdout is not None
    try:
        for message in messages:
            proc.stdin.write(json.dumps(message) + "\n")
        proc.stdin.flush()
        while True:  # answers come in order; wait for the call's before closing stdin
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else ""
            reply = json.loads(line)
            if reply.get("id") == 1:
                return dict(reply["result"])
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
        proc.stdout.close()
        if proc.stderr is not None:
            proc.stderr.close()


@pytest.mark.parametrize("agent", ["codex", "gemini", "opencode"])
def test_mcp_and_hooks_serve_the_pack_installed_for_the_agent(tmp_path: Path, agent: str) -> None:
    from backend_patterns import hooks
    from backend_patterns.pack import installed_pack_dir

    assert bap("install", agent, cwd=tmp_path).returncode == 0
    skill = tmp_path / CASES[agent][0] / "backend-api-patterns"
    assert installed_pack_dir(tmp_path) == str(skill)
    assert installed_pack_dir(tmp_path, agent) == str(skill)
    assert installed_pack_dir(tmp_path, "claude") is None
    description = _edit_installed_pack(skill)

    result = _mcp_list_patterns(tmp_path)
    assert not result.get("isError"), result
    (ws,) = [
        p for p in result["structuredContent"]["patterns"] if p["name"] == "websocket_handler"
    ]
    assert ws["description"] == description
    pack = hooks.pack_for(str(tmp_path), agent if agent != "opencode" else None)
    assert pack.patterns["websocket_handler"].description == description


def test_skill_folders_agree_with_the_pack_lookup() -> None:
    from backend_patterns.install import AGENTS
    from backend_patterns.pack._locate import SKILL_ROOTS

    assert {a.name: os.path.normpath(a.skills) for a in AGENTS.values()} == SKILL_ROOTS
