"""The agent CLIs the end-to-end tests run, from npm at the versions ``.ci/run`` pins, and a
bounded way to run them.

Each CLI is installed once into ``$BAP_NPM_CACHE/<folder>`` (default ``/tmp/bap-npm-cache``;
``.ci/run`` warms it). A cached copy of another version is replaced. Without npm (or Node.js
older than the CLI needs) the test skips locally and fails with ``CI=true``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

from conftest import service_missing

CACHE = Path(os.environ.get("BAP_NPM_CACHE", "/tmp/bap-npm-cache"))


def _installed_version(prefix: Path, package: str) -> str | None:
    try:
        manifest = json.loads((prefix / "node_modules" / package / "package.json").read_text())
    except (OSError, ValueError):
        return None
    version = manifest.get("version") if isinstance(manifest, dict) else None
    return version if isinstance(version, str) else None


def _node_major() -> int | None:
    node = shutil.which("node")
    if node is None:
        return None
    done = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30)
    try:
        return int(done.stdout.strip().lstrip("v").split(".")[0])
    except ValueError:
        return None


def npm_cli(package: str, version: str, folder: str, command: str, *, node: int = 18) -> Path:
    """The ``command`` of ``package@version``, installed into the cache's ``folder`` if needed."""
    major = _node_major()
    if major is None or major < node:
        service_missing(f"{package} needs Node.js {node}+ (found {major})")
    prefix = CACHE / folder
    found = prefix / "node_modules" / ".bin" / command
    if found.exists() and _installed_version(prefix, package) == version:
        return found
    npm = shutil.which("npm")
    if npm is None:
        service_missing("npm (Node.js) is not installed")
    prefix.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, npm_config_cache=str(CACHE), npm_config_update_notifier="false")
    done = subprocess.run(
        [str(npm), "install", "--prefix", str(prefix), "--no-fund", "--no-audit",
         f"{package}@{version}"],
        capture_output=True, text=True, env=env, timeout=900, check=False,
    )  # fmt: skip
    if done.returncode != 0 or not found.exists():
        service_missing(f"cannot install {package}@{version} ({done.stderr[-300:]})")
    return found


def run_bounded(
    args: list[str], *, env: dict[str, str], cwd: Path, timeout: float
) -> subprocess.CompletedProcess[str]:
    """Run a CLI in its own process group, and end the whole group when it is done or late:
    a CLI that relaunches itself or starts MCP servers leaves nothing running behind it."""
    proc = subprocess.Popen(
        args, cwd=cwd, env=env, text=True, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        err += f"\n(killed after {timeout} s)"
    else:
        with contextlib.suppress(ProcessLookupError):  # what the CLI left running
            os.killpg(proc.pid, signal.SIGKILL)
    return subprocess.CompletedProcess(args, proc.returncode, out, err)
