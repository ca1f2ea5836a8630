"""The README's example output is what the command really renders."""

from __future__ import annotations

import re
from pathlib import Path

from backend_patterns.render import render

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_example_is_a_real_rendering() -> None:
    text = README.read_text(encoding="utf-8")
    marker = re.search(
        r"<!-- example: (\w+) (.*?) (\S+\.py) -->\n```python\n(.*?)```", text, re.DOTALL
    )
    assert marker, "the README has an example block"
    pattern, params, path, shown = marker.groups()
    values = dict(item.split("=", 1) for item in params.split())
    files = {f.path: f.content for f in render(pattern, values)}
    assert shown == files[path]


def test_readme_starts_with_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"## Quick start\n\n```bash\n(.*?)```", text, re.DOTALL)
    assert block
    commands = block.group(1).strip().splitlines()
    assert len(commands) == 2
    assert "bap suggest" in commands[0]
    assert commands[1] == "bash scripts/test"
