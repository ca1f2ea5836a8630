"""``npx skills add <repo>`` (the ``skills`` CLI from npm) finds and installs our skill.

The CLI takes the SKILL.md at the root of a repository as the skill (it then looks no deeper,
so ``skills/backend-api-patterns/SKILL.md`` is not offered twice) and copies the folder into
the agent's skills folder: ``.claude/skills/<name>/`` for Claude Code. The test hands it a
clean copy of this checkout (the files git tracks or would track: what a clone holds) and
installs into an empty project with its own HOME.

It needs node/npx, git, and the npm registry on a cold cache: the pinned package downloads once
into a persistent cache (``$BAP_NPM_CACHE``, default ``/tmp/bap-npm-cache``) and runs from there
afterwards. Without them it skips locally and fails with CI=true, like every other missing
service. skills 1.5.19 and later need Node >= 22.20, so the pin is the last that runs on 18+.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import service_missing

SKILLS_CLI = "skills@1.5.18"
NAME = "backend-api-patterns"
ROOT = Path(__file__).resolve().parent.parent


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        service_missing(f"{name} is not installed")
        raise AssertionError("unreachable")
    return found


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What a clone of this repository holds, without .venv, caches or ignored files."""
    git = _tool("git")
    listed = subprocess.run(
        [git, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    if listed.returncode != 0:
        service_missing(f"{ROOT} is not a git checkout")
    target = tmp_path_factory.mktemp("repo") / "backend-api-patterns"
    for name in listed.stdout.decode().split("\0"):
        source = ROOT / name
        if name and source.is_file():  # a file deleted in the work tree is not in a clone
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def skills_cli(home: Path, project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    npx = _tool("npx")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["HOME"] = str(home)  # the CLI reads and writes agent folders and its lock under HOME
    env["npm_config_cache"] = os.environ.get("BAP_NPM_CACHE", "/tmp/bap-npm-cache")
    env["npm_config_update_notifier"] = "false"
    env["DISABLE_TELEMETRY"] = env["DO_NOT_TRACK"] = "1"
    done = subprocess.run(
        [npx, "--yes", SKILLS_CLI, *args],
        capture_output=True,
        text=True,
        cwd=project,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=600,
        check=False,
    )
    if done.returncode != 0 and any(
        s in done.stderr + done.stdout for s in ("ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED")
    ):
        service_missing("the npm registry is not reachable")
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_skills_add_installs_the_skill_for_claude_code(checkout: Path, tmp_path: Path) -> None:
    home, project = tmp_path / "home", tmp_path / "project"
    home.mkdir()
    project.mkdir()
    skills_cli(
        home, project, "add", str(checkout), "--skill", NAME, "--agent", "claude-code", "--yes"
    )
    skill = project / ".claude" / "skills" / NAME
    text = (skill / "SKILL.md").read_text(encoding="utf-8")
    assert yaml.safe_load(text.split("---")[1])["name"] == NAME
    assert text == (ROOT / "SKILL.md").read_text(encoding="utf-8")
    # what the skill says an agent without bap reads is there
    assert (skill / "triggers.yaml").is_file()
    assert (skill / "references" / "crud_endpoint" / "router.py").is_file()
    assert (skill / "patterns" / "crud_endpoint" / "pattern.yaml").is_file()


def test_skills_add_lists_one_skill(checkout: Path, tmp_path: Path) -> None:
    """The root SKILL.md is the skill; the plugin's copy under skills/ is not offered too."""
    home, project = tmp_path / "home", tmp_path / "project"
    home.mkdir()
    project.mkdir()
    listed = skills_cli(home, project, "add", str(checkout), "--list")
    # The listing's spinner lines ("Found 1 skill") are not always printed without a terminal;
    # the list itself is: one entry, our name, on a line of its own.
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", listed.stdout + listed.stderr)
    entries = [line.strip(" │\t") for line in text.splitlines()]
    assert entries.count(NAME) == 1, text
    assert "Found 2" not in text, text
    assert not (project / ".claude").exists()
