"""SKILL.md is a valid Agent Skill whose frontmatter holds only the spec's fields."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import skills_ref
import yaml
from conftest import copy_pack

ROOT = Path(__file__).resolve().parent.parent
SPEC_FIELDS = {"name", "description", "license", "compatibility", "metadata", "allowed-tools"}


def test_pack_copy_validates(tmp_path: Path) -> None:
    skill = copy_pack(tmp_path / "backend-api-patterns")
    assert skills_ref.validate(skill) == []


def test_frontmatter_and_references() -> None:
    text = (ROOT / "SKILL.md").read_text(encoding="utf-8")
    front = yaml.safe_load(text.split("---")[1])
    assert set(front) <= SPEC_FIELDS
    assert front["name"] == "backend-api-patterns"
    assert len(front["description"]) <= 1024
    assert "Use it when" in front["description"]
    links = re.findall(r"\]\(([^)]+)\)", text)
    assert "triggers.yaml" in links
    for link in links:
        assert (ROOT / link).is_file(), link
        assert link.count("/") <= 2  # patterns/<name>/pattern.yaml at most


def test_colour_only_on_a_terminal() -> None:
    """Human output is coloured on a TTY, plain in a pipe, and plain on a TTY with NO_COLOR."""
    bap = str(Path(sys.executable).parent / "bap")
    args = [bap, "suggest", "CRUD endpoints for invoices"]

    def on_tty(env: dict[str, str]) -> bytes:
        primary, secondary = pty.openpty()  # the child's stdout is a terminal
        with subprocess.Popen(args, stdout=secondary, stderr=subprocess.DEVNULL, env=env) as child:
            os.close(secondary)
            out = b""
            while True:
                try:
                    chunk = os.read(primary, 4096)
                except OSError:  # the terminal closed with the child
                    break
                if not chunk:
                    break
                out += chunk
            child.wait(timeout=30)
        os.close(primary)
        return out

    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    assert b"\x1b[" in on_tty(env)
    assert b"\x1b[" not in on_tty({**env, "NO_COLOR": "1"})
    piped = subprocess.run(args, capture_output=True, env=env, check=True)
    assert b"\x1b[" not in piped.stdout
