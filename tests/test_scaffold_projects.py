"""``bap init`` then ``bap add`` of every pattern in sample projects of each layout: the
project's own tests and the added ones pass on PostgreSQL, ruff and mypy pass on the whole
project, uvicorn serves every new route, and a repeated add exits 2 and changes nothing."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from _projects import LAYOUTS, make

BAP = [sys.executable, "-m", "backend_patterns"]
BIN = Path(sys.executable).parent
ADDS = [
    ("crud_endpoint", ["--set", "resource=Product"], "/products"),
    (
        "crud_endpoint",
        ["--set", "resource=Order", "--set", "fields=code:str,total:int"],
        "/orders",
    ),
    ("service_layer", ["--set", "resource=Invoice"], "/invoices"),
    ("jsonb_mutation", [], "/agents"),
    ("websocket_handler", [], None),
]


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **env},
        check=False,
    )


def git(root: Path, *args: str) -> str:
    done = run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args], root)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _served_paths(root: Path, app: str, pythonpath: str) -> set[str]:
    """The paths of the app's OpenAPI document, read from a real uvicorn (bounded)."""
    port = _free_port()
    log = (root / ".uvicorn.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", app, "--port", str(port), "--host", "127.0.0.1"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root / pythonpath)},
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/openapi.json", timeout=2
                ) as r:
                    return set(json.load(r)["paths"])
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.2)
        proc.kill()
        proc.wait(timeout=10)
        raise AssertionError(f"uvicorn did not serve {app}: {log_text(root)}")
    finally:
        proc.kill()
        proc.wait(timeout=10)
        log.close()
        (root / ".uvicorn.log").unlink(missing_ok=True)


def log_text(root: Path) -> str:
    return (root / ".uvicorn.log").read_text(errors="replace")[-2000:]


@pytest.mark.parametrize("layout", [*LAYOUTS, "empty"])
def test_init_then_add_every_pattern(layout: str, tmp_path: Path, database_url: str) -> None:
    root = tmp_path / "proj"
    if layout == "empty":
        root.mkdir()
    else:
        make(root, layout)
    init = run([*BAP, "init"], root)
    assert init.returncode == 0, init.stderr
    conv = json.loads(run([*BAP, "init", "--json", "--dry-run"], root).stdout)["conventions"]
    assert conv["layout"] == ("package" if layout == "empty" else layout)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "start")

    for pattern, sets, _route in ADDS:
        done = run([*BAP, "add", pattern, *sets], root)
        assert done.returncode == 0, f"{pattern}: {done.stdout}{done.stderr}"
    git(root, "add", "-A")
    git(root, "commit", "-qm", "added")

    # A second identical add: exit 2, nothing changed.
    again = run([*BAP, "add", *ADDS[0][0:1], *ADDS[0][1]], root)
    assert again.returncode == 2
    assert again.stderr.startswith("Error: ")
    assert "already exists" in again.stderr
    assert git(root, "status", "--porcelain") == ""

    ruff = run([str(BIN / "ruff"), "check", "."], root)
    assert ruff.returncode == 0, ruff.stdout
    fmt = run([str(BIN / "ruff"), "format", "--check", "."], root)
    assert fmt.returncode == 0, fmt.stdout
    pythonpath = "src" if conv.get("import-root") == "src" else "."
    mypy = run(
        [str(BIN / "mypy"), "--strict", "--cache-dir", str(tmp_path / "mypy"), "."],
        root,
        MYPYPATH=str(root / pythonpath),
    )
    assert mypy.returncode == 0, mypy.stdout
    tests = run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error"],
        root,
        TEST_DATABASE_URL=database_url,
    )
    assert tests.returncode == 0, tests.stdout[-4000:]

    app = conv["app"]
    served = _served_paths(root, app, pythonpath)
    for _pattern, _sets, route in ADDS:
        if route:
            assert any(p.startswith(route) for p in served), (route, sorted(served))
    if shutil.which("git"):
        assert git(root, "status", "--porcelain") == ""
