"""``bap install`` / ``bap uninstall`` never write through a link, never leave the project, keep
modes, formatting and everything the user wrote, and change all files or none."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest
from test_install import USER_MCP, USER_SETTINGS, bap, snapshot

from backend_patterns.install._commands import hook_command
from backend_patterns.pack import SKILL_SUBDIR, load_pack

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX symlinks and modes")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / ".claude").mkdir(parents=True)
    (root / ".claude" / "settings.json").write_text(USER_SETTINGS)
    (root / ".mcp.json").write_text(USER_MCP)
    return root


def one_error(done: object, *needles: str) -> None:
    assert done.returncode == 2, done.stdout  # type: ignore[attr-defined]
    err = done.stderr  # type: ignore[attr-defined]
    assert err.startswith("Error: "), err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, err


@pytest.mark.parametrize("name", [".claude/settings.json.bak", ".mcp.json.bak"])
def test_a_symlinked_backup_is_replaced_not_written_through(
    project: Path, tmp_path: Path, name: str
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (project / name).symlink_to(victim)
    assert bap("install", "claude", "--mcp", cwd=project).returncode == 0
    assert victim.read_text() == "precious\n"
    assert not (project / name).is_symlink()
    original = USER_SETTINGS if "settings" in name else USER_MCP
    assert (project / name).read_text() == original


def test_a_symlinked_temporary_name_is_never_followed(project: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    for i in range(20):  # stale links at names a temporary file could take are passed over
        (project / ".claude" / f".settings.json.{i:08x}.tmp").symlink_to(victim)
    assert bap("install", "claude", cwd=project).returncode == 0
    assert victim.read_text() == "precious\n"


def test_a_symlinked_settings_file_is_updated_at_its_target(project: Path, tmp_path: Path) -> None:
    dotfiles = project / "dotfiles"
    dotfiles.mkdir()
    target = dotfiles / "claude-settings.json"
    (project / ".claude" / "settings.json").rename(target)
    (project / ".claude" / "settings.json").symlink_to(target)
    assert bap("install", "claude", cwd=project).returncode == 0
    assert (project / ".claude" / "settings.json").is_symlink()
    assert "bap hook prompt" in target.read_text()
    assert bap("uninstall", "claude", cwd=project).returncode == 0
    assert (project / ".claude" / "settings.json").is_symlink()
    assert target.read_text() == USER_SETTINGS


def test_a_settings_link_out_of_project_and_home_is_refused(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "settings.json"
    outside.parent.mkdir()
    outside.write_text(USER_SETTINGS)
    (project / ".claude" / "settings.json").unlink()
    (project / ".claude" / "settings.json").symlink_to(outside)
    home = tmp_path / "home"
    home.mkdir()
    before = snapshot(project)
    done = bap("install", "claude", cwd=project, home=home)
    one_error(done, "outside", "nothing was changed")
    assert outside.read_text() == USER_SETTINGS
    assert snapshot(project) == before


def test_modes_are_kept_and_a_read_only_file_is_refused(project: Path) -> None:
    settings = project / ".claude" / "settings.json"
    settings.chmod(0o600)
    assert bap("install", "claude", cwd=project).returncode == 0
    assert stat.S_IMODE(settings.stat().st_mode) == 0o600
    assert bap("uninstall", "claude", cwd=project).returncode == 0
    settings.chmod(0o444)
    before = snapshot(project)
    done = bap("install", "claude", cwd=project)
    one_error(done, "read-only (mode 0444)", "settings.json")
    assert snapshot(project) == before
    assert stat.S_IMODE(settings.stat().st_mode) == 0o444
    assert not (project / SKILL_SUBDIR).exists()  # all or nothing: no skill either


@pytest.mark.parametrize("indent", ["    ", "\t", None])
def test_formatting_is_kept(project: Path, indent: str | None) -> None:
    data = json.loads(USER_SETTINGS)
    text = json.dumps(data, indent=indent) if indent else json.dumps(data)  # no final newline
    settings = project / ".claude" / "settings.json"
    settings.write_text(text)
    assert bap("install", "claude", cwd=project).returncode == 0
    after = settings.read_text()
    assert not after.endswith("\n")
    if indent:
        assert f'\n{indent}"model": "opus"' in after
    else:
        assert "\n" not in after
    assert bap("uninstall", "claude", cwd=project).returncode == 0
    assert settings.read_text() == text  # byte for byte


def test_a_failed_write_rolls_everything_back(project: Path) -> None:
    (project / ".claude" / "skills").mkdir()
    before = snapshot(project)
    os.chmod(project, 0o555)  # .mcp.json (written last) cannot be replaced: its folder is locked
    try:
        if os.access(project, os.W_OK):
            pytest.skip("running as a user that ignores folder permissions")
        done = bap("install", "claude", "--mcp", cwd=project)
    finally:
        os.chmod(project, 0o755)
    one_error(done, "cannot write", "nothing was changed")
    assert snapshot(project) == before
    assert not (project / SKILL_SUBDIR).exists()


def test_a_failed_write_rolls_back_as_root_too(project: Path, tmp_path: Path) -> None:
    """A folder where .mcp.json must go makes the last write fail after the others were done."""
    (project / ".mcp.json").unlink()
    (project / ".mcp.json").mkdir()
    before = snapshot(project)
    done = bap("install", "claude", "--mcp", cwd=project)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert snapshot(project) == before
    assert not (project / SKILL_SUBDIR).exists()
    assert not (project / ".claude" / "settings.json.bak").exists()


def test_uninstall_keeps_edited_and_added_files_and_names_them(project: Path) -> None:
    assert bap("install", "claude", cwd=project).returncode == 0
    skill = project / SKILL_SUBDIR
    manifest = json.loads((skill / ".bap-manifest.json").read_text())
    assert "triggers.yaml" in manifest["files"]
    triggers = skill / "triggers.yaml"
    triggers.write_text(triggers.read_text() + "# team tweak\n")
    (skill / "NOTES.md").write_text("ours\n")
    done = bap("uninstall", "claude", cwd=project)
    assert done.returncode == 0, done.stderr
    assert f"kept {triggers}" in done.stdout
    assert f"kept {skill / 'NOTES.md'}" in done.stdout
    assert triggers.read_text().endswith("# team tweak\n")
    assert (skill / "NOTES.md").read_text() == "ours\n"
    assert not (skill / "SKILL.md").exists()
    assert not (skill / "patterns").exists()
    assert not (skill / ".bap-manifest.json").exists()


def test_uninstall_never_follows_a_skills_link_out_of_the_project(
    project: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "shared-skills"
    (elsewhere / "backend-api-patterns").mkdir(parents=True)
    pack = load_pack().root
    for name in ("SKILL.md", "triggers.yaml"):
        (elsewhere / "backend-api-patterns" / name).write_bytes((pack / name).read_bytes())
    (project / ".claude" / "skills").symlink_to(elsewhere)
    home = tmp_path / "home"
    home.mkdir()
    for command in ("uninstall", "install"):
        done = bap(command, "claude", cwd=project, home=home)
        one_error(done, "outside")
    assert (elsewhere / "backend-api-patterns" / "SKILL.md").exists()


def test_a_symlinked_skill_folder_is_refused_with_an_error(project: Path, tmp_path: Path) -> None:
    real = project / "vendor" / "skill"
    real.mkdir(parents=True)
    (real / "keep.txt").write_text("x\n")
    (project / ".claude" / "skills").mkdir()
    (project / SKILL_SUBDIR).symlink_to(real)
    for command in ("uninstall", "install"):
        one_error(bap(command, "claude", cwd=project), "is a symlink")
    assert (real / "keep.txt").read_text() == "x\n"


def test_uninstall_keeps_the_users_own_entries(project: Path) -> None:
    settings = project / ".claude" / "settings.json"
    data = json.loads(USER_SETTINGS)
    wrapper = "python -m backend_patterns hook prompt | tee log"
    data["hooks"]["UserPromptSubmit"].append({"hooks": [{"type": "command", "command": wrapper}]})
    data["hooks"]["Stop"] = [{"hooks": []}]  # an empty group the user had
    data["hooks"]["PreToolUse"] = [{"matcher": "Bash", "hooks": []}]
    settings.write_text(json.dumps(data, indent=2) + "\n")
    own = {"mcpServers": {"backend-api-patterns": {"command": "my-bap", "args": ["mcp"]}}}
    (project / ".mcp.json").write_text(json.dumps(own, indent=2) + "\n")
    before = snapshot(project)
    done = bap("install", "claude", "--mcp", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "your own 'mcpServers.backend-api-patterns'" in done.stdout
    assert json.loads((project / ".mcp.json").read_text()) == own
    commands = [
        h["command"]
        for g in json.loads(settings.read_text())["hooks"]["UserPromptSubmit"]
        for h in g["hooks"]
    ]
    assert wrapper in commands
    assert hook_command("prompt") in commands
    assert bap("uninstall", "claude", cwd=project).returncode == 0
    after = {k: v for k, v in snapshot(project).items() if not k.endswith(".bak")}
    assert after == before


def test_an_older_interpreter_install_is_upgraded_and_removed(project: Path) -> None:
    settings = project / ".claude" / "settings.json"
    data = json.loads(USER_SETTINGS)
    old = "/opt/old/venv/bin/python -m backend_patterns hook pre-tool --deny"
    data["hooks"]["PreToolUse"] = [
        {"matcher": "Write|Edit|MultiEdit", "hooks": [{"type": "command", "command": old}]}
    ]
    settings.write_text(json.dumps(data, indent=2) + "\n")
    assert bap("install", "claude", cwd=project).returncode == 0
    pre = json.loads(settings.read_text())["hooks"]["PreToolUse"]
    assert pre == [
        {
            "matcher": "Write|Edit|MultiEdit",
            "hooks": [{"type": "command", "command": hook_command("pre-tool", deny=True)}],
        }
    ]
    assert bap("uninstall", "claude", cwd=project).returncode == 0
    assert settings.read_text() == USER_SETTINGS
