"""MCP ``plan_add``: what ``bap add`` would do in a project, as a diff; nothing is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from _projects import make
from mcp import Client

from backend_patterns.mcp.server import build_server
from backend_patterns.pack import load_pack
from backend_patterns.scaffold import diff, plan_add
from backend_patterns.scaffold._init import plan_init


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _init(root: Path) -> None:
    _conv, writes = plan_init(root, {})
    for path, (_old, new) in writes.items():
        (root / path).write_text(new)


async def _call(name: str, args: dict[str, Any]) -> Any:
    async with Client(build_server(load_pack())) as client:
        return await client.call_tool(name, args)


async def test_plan_add_returns_the_diff_and_writes_nothing(tmp_path: Path) -> None:
    root = make(tmp_path / "p", "package")
    _init(root)
    before = _snapshot(root)
    result = await _call("plan_add", {"pattern": "jsonb_mutation", "project": str(root)})
    assert not result.is_error
    out = result.structured_content
    assert out["edits"] == ["app/main.py"]
    assert "app/agents/router.py" in out["files"]
    assert out["diff"] == diff(plan_add(root, "jsonb_mutation", {}))
    assert "+app.include_router(agents_router)\n" in out["diff"]
    assert _snapshot(root) == before


async def test_plan_add_outside_an_initialised_project_says_to_run_init(tmp_path: Path) -> None:
    root = make(tmp_path / "p", "package")
    result = await _call("plan_add", {"pattern": "jsonb_mutation", "project": str(root)})
    assert result.is_error
    assert "bap init" in result.content[0].text
