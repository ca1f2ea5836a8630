"""Helpers for the pattern tests: render into a folder, lint it, type-check it, run its tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from backend_patterns.render import render, write_files

BIN = Path(sys.executable).parent
MYPY_CACHE = Path(os.environ.get("BAP_TEST_MYPY_CACHE", "/tmp/bap-test-mypy-cache"))


def render_into(
    out: Path, pattern: str, params: Mapping[str, str] | None = None, *, with_tests: bool = True
) -> Path:
    """Render ``pattern`` into ``out`` exactly as ``bap render --out`` does."""
    files = render(pattern, dict(params or {}), with_tests=with_tests)
    write_files(files, out)
    return out


def _run(
    args: list[str], cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    full_env.pop("PYTHONPATH", None)
    return subprocess.run(
        args, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout, check=False
    )


def assert_clean(folder: Path) -> None:
    """The rendering passes ruff (lint and format) and mypy --strict, with no config of ours."""
    lint = _run(
        [
            str(BIN / "ruff"),
            "check",
            "--isolated",
            "--no-cache",
            "--target-version",
            "py311",
            "--select",
            "E,F,W,I,B,UP,ASYNC,RUF",
            ".",
        ],
        folder,
    )
    assert lint.returncode == 0, f"ruff check failed:\n{lint.stdout}{lint.stderr}"
    fmt = _run([str(BIN / "ruff"), "format", "--isolated", "--no-cache", "--check", "."], folder)
    assert fmt.returncode == 0, f"ruff format --check failed:\n{fmt.stdout}{fmt.stderr}"
    typed = _run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--cache-dir",
            str(MYPY_CACHE),
            "--no-error-summary",
            "--python-version",
            "3.11",
            ".",
        ],
        folder,
    )
    assert typed.returncode == 0, f"mypy --strict failed:\n{typed.stdout}{typed.stderr}"


def run_pytest(
    folder: Path, env: Mapping[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run the rendered test module in its own process, warnings as errors."""
    # pytest-asyncio warns (an error under -W error) when this option is unset; renderings set
    # loop_scope explicitly on their markers and fixtures, so the default is never used.
    return _run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-W",
            "error",
            "-p",
            "no:cacheprovider",
            "-o",
            "asyncio_default_fixture_loop_scope=function",
            "--rootdir",
            str(folder),
            str(folder),
        ],
        folder,
        env,
        timeout,
    )


def assert_rendered_tests_pass(folder: Path, env: Mapping[str, str] | None = None) -> str:
    """Run the rendered tests; they must all pass and none may skip."""
    result = run_pytest(folder, env)
    out = result.stdout + result.stderr
    assert result.returncode == 0, f"rendered tests failed:\n{out}"
    assert " passed" in out, out
    assert "skipped" not in out, f"rendered tests skipped:\n{out}"
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_rendering(
    folder: Path, env: Mapping[str, str | None], probe: str = "/docs", timeout: float = 30
) -> Iterator[str]:
    """Run ``uvicorn app:app`` in ``folder`` on a free loopback port, as a user would after
    ``bap render --out``; yield its base URL once ``probe`` answers. ``None`` in ``env`` removes
    a variable. The server is always stopped, and must not have printed a traceback."""
    import httpx2

    full_env = {k: v for k, v in {**os.environ, **env}.items() if v is not None}
    full_env.pop("PYTHONPATH", None)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=folder,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                httpx2.get(f"{base}{probe}", timeout=1)
                break
            except httpx2.TransportError:
                if server.poll() is not None:
                    output = server.communicate()[0]
                    raise AssertionError(f"uvicorn exited early:\n{output}") from None
                assert time.monotonic() < deadline, f"uvicorn did not start in {timeout} s"
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert "Traceback" not in output, output
