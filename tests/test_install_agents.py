"""``bap install AGENT`` for Codex, Cursor, Copilot, Gemini CLI and OpenCode: the skill where the
agent reads skills, the server in its config format, merged; uninstall gives the bytes back."""

from __future__ import annotations

import json
from pathlib import Path

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
