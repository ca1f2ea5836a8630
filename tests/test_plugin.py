"""The repository is a Claude Code plugin marketplace: the real ``claude`` validates it, adds it
and installs its one plugin, offline, with ``HOME`` in a temporary folder.

``@anthropic-ai/claude-code`` is installed once with npm into ``$BAP_NPM_CACHE/claude-code``
(default ``/tmp/bap-npm-cache``; ``.ci/run`` warms it) at the version ``.ci/run`` pins
(``tests/_npm_cli.py``). Without npm, or with neither the cache nor the registry, it skips
locally and fails with ``CI=true``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from _npm_cli import npm_cli

from backend_patterns.install._claude import HOOKS
from backend_patterns.install._commands import hook_command, mcp_entry

ROOT = Path(__file__).resolve().parent.parent
VERSION = "2.1.197"  # as pinned in .ci/run
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def claude() -> Path:
    return npm_cli("@anthropic-ai/claude-code", VERSION, "claude-code", "claude")


def run(claude: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CLAUDE"))}
    env.update(
        HOME=str(home),
        PATH=f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
        DISABLE_TELEMETRY="1",
        DISABLE_AUTOUPDATER="1",
    )
    return subprocess.run(
        [str(claude), *args], capture_output=True, text=True, env=env, cwd=home, timeout=120,
        check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    "target", [".", ".claude-plugin/plugin.json", ".claude-plugin/marketplace.json"]
)
def test_claude_plugin_validate_passes_without_warnings(
    claude: Path, tmp_path: Path, target: str
) -> None:
    done = run(claude, tmp_path, "plugin", "validate", str(ROOT / target))
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "Validation passed" in out
    assert "warning" not in out.lower(), out
    assert "error" not in out.lower(), out


def install_plugin(claude: Path, tmp_path: Path) -> Path:
    """A temporary HOME in which this checkout is an added marketplace and its plugin installed."""
    checkout = tmp_path / "checkout"
    subprocess.run(
        ["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(checkout)], check=True, timeout=120
    )
    for rel in (".claude-plugin", "hooks", "skills"):  # this tree, committed or not
        shutil.rmtree(checkout / rel, ignore_errors=True)
        shutil.copytree(ROOT / rel, checkout / rel)
    home = tmp_path / "home"
    home.mkdir()
    added = run(claude, home, "plugin", "marketplace", "add", str(checkout))
    assert added.returncode == 0, added.stdout + added.stderr
    installed = run(claude, home, "plugin", "install", "backend-api-patterns@backend-api-patterns")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return home


def test_marketplace_add_and_plugin_install_offline(claude: Path, tmp_path: Path) -> None:
    home = install_plugin(claude, tmp_path)
    listed = run(claude, home, "plugin", "details", "backend-api-patterns@backend-api-patterns")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert "Skills (1)  backend-api-patterns" in listed.stdout
    assert "Hooks (3)  UserPromptSubmit, PreToolUse, PostToolUse" in listed.stdout
    servers = run(claude, home, "mcp", "list")
    assert "plugin:backend-api-patterns:backend-api-patterns: bap mcp" in servers.stdout
    assert "Connected" in servers.stdout


def test_plugin_hooks_and_server_are_what_bap_install_writes() -> None:
    hooks = json.loads((ROOT / "hooks" / "hooks.json").read_text())["hooks"]
    assert set(hooks) == set(HOOKS)
    for event, (matcher, argument) in HOOKS.items():
        (group,) = hooks[event]
        assert group.get("matcher") == matcher
        assert group["hooks"] == [{"type": "command", "command": hook_command(argument)}]
    manifest = json.loads((ROOT / ".claude-plugin" / "plugin.json").read_text())
    servers = json.loads((ROOT / manifest["mcpServers"]).read_text())["mcpServers"]
    assert servers == {"backend-api-patterns": mcp_entry()}
    market = json.loads((ROOT / ".claude-plugin" / "marketplace.json").read_text())
    (entry,) = market["plugins"]
    assert entry["name"] == manifest["name"] == "backend-api-patterns"
    assert entry["version"] == manifest["version"]


def test_the_plugin_skill_is_a_valid_agent_skill_pointing_at_the_pack() -> None:
    import skills_ref

    skill = ROOT / "skills" / "backend-api-patterns"
    assert skills_ref.validate(skill) == []
    assert "../../SKILL.md" in (skill / "SKILL.md").read_text()
    assert (skill / "../../SKILL.md").resolve() == ROOT / "SKILL.md"
