"""An independent client against `bap mcp`: the MCP Inspector CLI (Node), over stdio.

It needs node/npx and the npm registry (the package downloads once into a persistent cache:
``$BAP_NPM_CACHE``, default ``/tmp/bap-npm-cache``). Without npx it skips locally and fails with
CI=true, like every other missing service.

Network: this test reaches the npm registry whenever that cache is cold (a new machine, a new
INSPECTOR version). ``.ci/run`` fills the cache with INSPECTOR before the tests, so in CI the
registry is reached at most once per machine, before pytest starts.
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
from conftest import service_missing

INSPECTOR = "@modelcontextprotocol/inspector@2.12.0"
BAP = str(Path(sys.executable).parent / "bap")
TASK = "Add a WebSocket endpoint that broadcasts chat messages to a room"


@pytest.fixture(scope="module")
def npx() -> str:
    found = shutil.which("npx")
    if found is None:
        service_missing("npx (Node.js) is not installed")
        raise AssertionError("unreachable")
    return found


def inspector(npx: str, home: Path, *args: str) -> Any:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["HOME"] = str(home)  # the Inspector writes its config under HOME
    env["npm_config_cache"] = os.environ.get("BAP_NPM_CACHE", "/tmp/bap-npm-cache")
    env["npm_config_update_notifier"] = "false"
    extra = ["-e", f"BAP_PACK={os.environ['BAP_PACK']}"] if os.environ.get("BAP_PACK") else []
    done = subprocess.run(
        [npx, "-y", INSPECTOR, "--cli", *extra, BAP, "mcp", *args],
        capture_output=True,
        text=True,
        cwd=home,
        env=env,
        timeout=600,
        check=False,
    )
    if done.returncode != 0 and "ENOTFOUND" in done.stderr + done.stdout:
        service_missing("the npm registry is not reachable")
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def test_inspector_lists_the_tools(npx: str, tmp_path: Path) -> None:
    out = inspector(npx, tmp_path, "--method", "tools/list")
    tools = {t["name"]: t for t in out["tools"]}
    assert set(tools) == {
        "suggest_patterns",
        "render_pattern",
        "plan_add",
        "list_patterns",
        "check_code",
    }
    for tool in tools.values():
        assert tool["annotations"]["readOnlyHint"] is True
        assert tool["annotations"]["openWorldHint"] is False
        assert tool["outputSchema"]["type"] == "object"


def test_inspector_calls_suggest_patterns(npx: str, tmp_path: Path) -> None:
    out = inspector(
        npx,
        tmp_path,
        "--method",
        "tools/call",
        "--tool-name",
        "suggest_patterns",
        "--tool-arg",
        f"task={TASK}",
    )
    assert out.get("isError") in (None, False)
    suggestions = out["structuredContent"]["suggestions"]
    assert suggestions[0]["pattern"] == "websocket_handler"
    assert suggestions[0]["command"].startswith("bap render websocket_handler")
