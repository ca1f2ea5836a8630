"""The installed (non-editable) wheel carries the pack and works from any directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("wheel")
    dist, site = base / "dist", base / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(dist.glob("backend_api_patterns-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "backend_patterns/_pack/triggers.yaml" in names
    assert "backend_patterns/_pack/SKILL.md" in names
    assert any(n.startswith("backend_patterns/_pack/patterns/crud_endpoint/") for n in names)
    assert "backend_patterns/py.typed" in names
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return site


def run(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("BAP_PACK", None)
    return subprocess.run(
        [sys.executable, "-m", "backend_patterns", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_wheel_runs_from_anywhere(installed: Path, tmp_path: Path) -> None:
    where = run(installed, tmp_path, "validate")
    assert where.returncode == 0, where.stderr
    assert str(installed / "backend_patterns" / "_pack") in where.stdout
    out = run(installed, tmp_path, "suggest", "--json", "add a websocket endpoint for chat")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["suggestions"][0]["pattern"] == "websocket_handler"
    shown = run(installed, tmp_path, "list")
    assert "jsonb_mutation" in shown.stdout


def test_wheel_renders_from_its_own_pack(installed: Path, tmp_path: Path) -> None:
    out = run(installed, tmp_path, "render", "crud_endpoint", "--json")
    assert out.returncode == 0, out.stderr
    files = json.loads(out.stdout)["files"]
    assert any(f["path"] == "app.py" for f in files)
