"""`bap install claude` / `bap uninstall claude` on a project that already has its own settings."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from backend_patterns.install._commands import hook_command
from backend_patterns.pack import SKILL_SUBDIR, load_pack

BIN = Path(sys.executable).parent
BAP = str(BIN / "bap")
LAUNCHER = "'''" + "exec' "  # pip's /bin/sh launcher of a script whose interpreter path is long


def script_python(script: str) -> str:
    """The interpreter a console script runs, as ``bap install --local`` will see it.

    pip writes the interpreter it ran under into the ``#!`` line (``.venv/bin/python`` after
    ``python -m pip install``, ``.venv/bin/python3`` or ``python3.11`` after ``pip install``),
    or, for a long path, into the ``exec`` line of a ``/bin/sh`` launcher; so it is read from the
    script, never taken from ``sys.executable``.
    """
    lines = Path(script).read_text(encoding="utf-8").splitlines()
    if lines[0].strip() == "#!/bin/sh":
        launcher = next(line for line in lines if line.startswith(LAUNCHER))
        return shlex.split(launcher[len(LAUNCHER) :])[0]
    return shlex.split(lines[0][2:])[0]


PYTHON = str(Path(script_python(BAP)).absolute())

USER_SETTINGS = """{
  "model": "opus",
  "permissions": {
    "allow": [
      "Bash(ls:*)"
    ]
  },
  "hooks": {
    "PostToolUse": [
      {
        "matcher": "Bash",
        "hooks": [
          {
            "type": "command",
            "command": "echo ran >> /tmp/log"
          }
        ]
      }
    ],
    "UserPromptSubmit": [
      {
        "hooks": [
          {
            "type": "command",
            "command": "./scripts/remind.sh"
          }
        ]
      }
    ]
  },
  "env": {
    "FOO": "1"
  }
}
"""
USER_MCP = """{
  "mcpServers": {
    "db": {
      "command": "db-mcp",
      "args": []
    }
  }
}
"""


def bap(*args: str, cwd: Path, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if home is not None:
        env["HOME"] = str(home)
    return subprocess.run(
        [BAP, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120, check=False
    )


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / ".claude").mkdir(parents=True)
    (root / ".claude" / "settings.json").write_text(USER_SETTINGS)
    (root / ".mcp.json").write_text(USER_MCP)
    (root / "app.py").write_text("print('hello')\n")
    return root


def test_install_merges_keeps_and_is_idempotent(project: Path) -> None:
    done = bap("install", "claude", "--project", str(project), "--mcp", cwd=project)
    assert done.returncode == 0, done.stderr
    # It prints the equivalent CLI registration and a Cursor snippet.
    assert "claude mcp add --scope project backend-api-patterns -- bap mcp" in done.stdout
    assert '"backend-api-patterns": {' in done.stdout

    settings = json.loads((project / ".claude" / "settings.json").read_text())
    original = json.loads(USER_SETTINGS)
    for key in ("model", "permissions", "env"):
        assert settings[key] == original[key]
    hooks = settings["hooks"]
    assert hooks["PostToolUse"][0] == original["hooks"]["PostToolUse"][0]
    assert hooks["UserPromptSubmit"][0] == original["hooks"]["UserPromptSubmit"][0]
    assert hooks["UserPromptSubmit"][1] == {
        "hooks": [
            {
                "type": "command",
                "command": hook_command("prompt"),
            }
        ]
    }
    assert hooks["PreToolUse"] == [
        {
            "matcher": "Write|Edit|MultiEdit",
            "hooks": [
                {
                    "type": "command",
                    "command": hook_command("pre-tool"),
                }
            ],
        }
    ]
    assert hooks["PostToolUse"][1]["matcher"] == "Write|Edit|MultiEdit"
    assert hooks["PostToolUse"][1]["hooks"][0]["command"] == hook_command("post-tool")
    # Nothing machine-specific in files meant to be committed: bap from PATH.
    assert PYTHON not in (project / ".claude" / "settings.json").read_text()

    servers = json.loads((project / ".mcp.json").read_text())["mcpServers"]
    assert servers["db"] == {"command": "db-mcp", "args": []}
    assert servers["backend-api-patterns"] == {"command": "bap", "args": ["mcp"]}

    # A backup of each file it changed, holding what was there before.
    assert (project / ".claude" / "settings.json.bak").read_text() == USER_SETTINGS
    assert (project / ".mcp.json.bak").read_text() == USER_MCP

    first = snapshot(project)
    again = bap("install", "claude", "--project", str(project), "--mcp", cwd=project)
    assert again.returncode == 0, again.stderr
    assert "nothing changed" in again.stdout
    assert snapshot(project) == first  # byte-identical


def test_installed_skill_is_the_pack_and_validates(project: Path) -> None:
    assert bap("install", "claude", cwd=project).returncode == 0
    skill = project / SKILL_SUBDIR
    source = load_pack().root
    assert (skill / "SKILL.md").read_bytes() == (source / "SKILL.md").read_bytes()
    assert (skill / "triggers.yaml").read_bytes() == (source / "triggers.yaml").read_bytes()
    for name in load_pack().patterns:
        assert (skill / "patterns" / name / "pattern.yaml").is_file()
    assert load_pack(skill).patterns.keys() == load_pack().patterns.keys()
    check = subprocess.run(
        [str(BIN / "agentskills"), "validate", str(skill)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_uninstall_restores_the_original_files(project: Path) -> None:
    before = snapshot(project)
    assert bap("install", "claude", "--mcp", cwd=project).returncode == 0
    done = bap("uninstall", "claude", "--project", str(project), cwd=project)
    assert done.returncode == 0, done.stderr
    assert (project / ".claude" / "settings.json").read_text() == USER_SETTINGS
    assert (project / ".mcp.json").read_text() == USER_MCP
    assert not (project / SKILL_SUBDIR).exists()
    assert not (project / ".claude" / "skills").exists()
    after = {k: v for k, v in snapshot(project).items() if not k.endswith(".bak")}
    assert after == before
    # Nothing left to remove: a second uninstall changes nothing.
    again = bap("uninstall", "claude", cwd=project)
    assert again.returncode == 0
    assert "nothing of backend-api-patterns is installed" in again.stdout


def test_a_fresh_project_gets_files_that_uninstall_takes_away(tmp_path: Path) -> None:
    done = bap("install", "claude", "--mcp", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / ".claude" / "settings.json").read_text())["hooks"]
    assert bap("uninstall", "claude", cwd=tmp_path).returncode == 0
    assert not (tmp_path / ".claude" / "settings.json").exists()
    assert not (tmp_path / ".mcp.json").exists()
    assert not (tmp_path / SKILL_SUBDIR).exists()


def test_invalid_settings_json_is_refused_and_nothing_is_touched(project: Path) -> None:
    (project / ".claude" / "settings.json").write_text('{"model": "opus",,}\n')
    before = snapshot(project)
    done = bap("install", "claude", "--mcp", cwd=project)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("Error: ")
    assert "settings.json is not valid JSON (line 1" in done.stderr
    assert len(done.stderr.splitlines()) == 1
    assert snapshot(project) == before
    assert not (project / SKILL_SUBDIR).exists()
    undone = bap("uninstall", "claude", cwd=project)
    assert undone.returncode == 2
    assert snapshot(project) == before


def test_a_team_edit_to_the_installed_triggers_survives_reinstall(project: Path) -> None:
    assert bap("install", "claude", cwd=project).returncode == 0
    triggers = project / SKILL_SUBDIR / "triggers.yaml"
    edited = triggers.read_text() + "\n# team tweak\n"
    triggers.write_text(edited)
    done = bap("install", "claude", cwd=project)
    assert done.returncode == 0
    assert "kept your edited" in done.stdout
    assert triggers.read_text() == edited
    forced = bap("install", "claude", "--force", cwd=project)
    assert forced.returncode == 0
    assert triggers.read_bytes() == (load_pack().root / "triggers.yaml").read_bytes()


def test_user_install_writes_under_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    done = bap("install", "claude", "--user", "--mcp", cwd=tmp_path, home=home)
    assert done.returncode == 0, done.stderr
    assert (home / SKILL_SUBDIR / "SKILL.md").is_file()
    assert json.loads((home / ".claude" / "settings.json").read_text())["hooks"]
    assert not (home / ".mcp.json").exists()  # user-scope servers are the CLI's business
    assert "claude mcp add --scope user backend-api-patterns" in done.stdout
    assert bap("uninstall", "claude", "--user", cwd=tmp_path, home=home).returncode == 0
    assert not (home / ".claude" / "settings.json").exists()


def _run_hook(command: str, project: Path, path: str) -> subprocess.CompletedProcess[str]:
    payload = {
        "session_id": "s",
        "transcript_path": "/dev/null",
        "cwd": str(project),
        "hook_event_name": "UserPromptSubmit",
        "prompt": "Add a WebSocket endpoint that broadcasts chat messages",
    }
    env = {k: v for k, v in os.environ.items() if k not in {"PATH", "VIRTUAL_ENV"}}
    env["PATH"] = path
    return subprocess.run(
        ["/bin/sh", "-c", command],  # as Claude Code runs it: through a shell
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=project,
        env=env,
        timeout=60,
        check=False,
    )


def test_the_installed_hook_command_runs_bap_from_path(project: Path) -> None:
    assert bap("install", "claude", cwd=project).returncode == 0
    settings = json.loads((project / ".claude" / "settings.json").read_text())
    command = settings["hooks"]["UserPromptSubmit"][1]["hooks"][0]["command"]
    done = _run_hook(command, project, f"{BIN}:/usr/bin:/bin")
    assert done.returncode == 0, done.stderr
    context = json.loads(done.stdout)["hookSpecificOutput"]["additionalContext"]
    assert "websocket_handler" in context
    assert ".claude/skills/backend-api-patterns/patterns/websocket_handler" in context
    assert "Render: bap render websocket_handler" in context  # runs where the hook ran


def test_the_hook_fails_open_with_one_line_when_bap_is_missing(project: Path) -> None:
    assert bap("install", "claude", cwd=project).returncode == 0
    settings = json.loads((project / ".claude" / "settings.json").read_text())
    for event in ("UserPromptSubmit", "PreToolUse", "PostToolUse"):
        command = settings["hooks"][event][-1]["hooks"][0]["command"]
        done = _run_hook(command, project, "/usr/bin:/bin")  # no bap on PATH
        assert done.returncode == 0
        assert done.stdout == ""
        assert done.stderr.splitlines() == [
            "backend-api-patterns: bap not found; install it with: uv tool install "
            "backend-api-patterns (or: pipx install backend-api-patterns)"
        ]


def test_local_install_uses_this_interpreter_in_settings_local(project: Path) -> None:
    before = (project / ".claude" / "settings.json").read_bytes()
    done = bap("install", "claude", "--local", cwd=project)
    assert done.returncode == 0, done.stderr
    assert (project / ".claude" / "settings.json").read_bytes() == before  # untouched
    local = json.loads((project / ".claude" / "settings.local.json").read_text())
    command = local["hooks"]["UserPromptSubmit"][0]["hooks"][0]["command"]
    assert command == f"{shlex.quote(PYTHON)} -m backend_patterns hook prompt"
    ran = _run_hook(command, project, "/usr/bin:/bin")  # no venv on PATH: the path suffices
    assert ran.returncode == 0, ran.stderr
    assert "websocket_handler" in ran.stdout
    assert bap("uninstall", "claude", cwd=project).returncode == 0
    assert not (project / ".claude" / "settings.local.json").exists()
    assert (project / ".claude" / "settings.json").read_bytes() == before


@pytest.mark.parametrize(
    "args", [["install", "cursr"], ["install", "claude", "--user", "--project", "."]]
)
def test_bad_arguments(tmp_path: Path, args: list[str]) -> None:
    done = bap(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("Error: ")
    assert len(done.stderr.splitlines()) == 1
    if "cursr" in args:
        assert "choose from: claude, codex, cursor" in done.stderr


def test_deny_mode_survives_reinstall_and_uninstalls_cleanly(project: Path) -> None:
    assert bap("install", "claude", "--deny", cwd=project).returncode == 0
    settings_path = project / ".claude" / "settings.json"
    pre = json.loads(settings_path.read_text())["hooks"]["PreToolUse"]
    assert pre[0]["hooks"][0]["command"] == hook_command("pre-tool", deny=True)
    first = settings_path.read_bytes()
    assert bap("install", "claude", cwd=project).returncode == 0  # keeps --deny
    assert settings_path.read_bytes() == first
    assert bap("uninstall", "claude", cwd=project).returncode == 0
    assert settings_path.read_text() == USER_SETTINGS


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs symlinks and FIFOs")
def test_symlinks_at_the_backup_and_pack_files_are_replaced_not_written_through(
    project: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (project / ".claude" / "settings.json.bak").symlink_to(victim)
    skill_md = project / SKILL_SUBDIR / "SKILL.md"
    skill_md.parent.mkdir(parents=True)
    skill_md.symlink_to(victim)  # differs from the pack's file: kept, then forced
    assert bap("install", "claude", cwd=project).returncode == 0
    assert victim.read_text() == "precious\n"
    assert (project / ".claude" / "settings.json.bak").read_text() == USER_SETTINGS
    assert skill_md.is_symlink()  # a file that differs is the user's: kept
    assert bap("install", "claude", "--force", cwd=project).returncode == 0
    assert victim.read_text() == "precious\n"
    assert not skill_md.is_symlink()
    assert skill_md.read_bytes() == (load_pack().root / "SKILL.md").read_bytes()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_settings_file_that_is_a_fifo_is_refused_without_hanging(project: Path) -> None:
    settings = project / ".claude" / "settings.json"
    settings.unlink()
    os.mkfifo(settings)
    done = bap("install", "claude", cwd=project)  # a read would block until the timeout
    assert done.returncode == 2
    assert done.stderr.startswith(f"Error: cannot read {settings} (")
    assert "not a regular file" in done.stderr
    assert not (project / SKILL_SUBDIR).exists()
