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

from backend_patterns.render import Ref, SessionRef, Target, render, render_pattern, write_files

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


# ---- rendering into a project (``bap add``'s Target) ----

PROJECT_DB = '''"""The project's database module: its own Base and session dependency."""

import os
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

DATABASE_URL = os.environ.get("DATABASE_URL", "sqlite+aiosqlite:///./app.db")
engine = create_async_engine(DATABASE_URL)
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)


class {base}(DeclarativeBase):
    pass


async def get_db() -> AsyncIterator[AsyncSession]:
    async with SessionLocal() as session:
        yield session


DbSession = Annotated[AsyncSession, Depends(get_db)]
'''

PROJECT_USER = '''"""The project's own User model, which a rendering may refer to."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from {package}.db import {base}


class User({base}):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    active: Mapped[bool]
'''


def make_project(
    root: Path, *, src_layout: bool, base: str = "Model", asyncio_mode: str = "auto"
) -> Path:
    """A small existing project: a package ``app`` (in ``src/`` or not) with a db module
    (``Base`` named ``base``, a ``get_db`` dependency and a ``DbSession`` alias), a User
    model in ``app/models/user.py``, layered folders, and its own pytest and mypy config."""
    package = root / ("src/app" if src_layout else "app")
    for folder in ("", "models", "schemas", "api", "api/routes"):
        (package / folder).mkdir(parents=True, exist_ok=True)
        (package / folder / "__init__.py").write_text("", encoding="utf-8")
    (package / "db.py").write_text(PROJECT_DB.format(base=base), encoding="utf-8")
    (package / "models" / "user.py").write_text(
        PROJECT_USER.format(package="app", base=base), encoding="utf-8"
    )
    (root / "tests").mkdir(exist_ok=True)
    pythonpath = '\npythonpath = ["src"]' if src_layout else ""
    mypy = '\nmypy_path = "src"\nexplicit_package_bases = true' if src_layout else ""
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "sample"\nversion = "0"\n\n'
        f'[tool.pytest.ini_options]\nasyncio_mode = "{asyncio_mode}"\n'
        f'asyncio_default_fixture_loop_scope = "session"\n'
        f'asyncio_default_test_loop_scope = "session"{pythonpath}\n\n'
        f"[tool.mypy]\nstrict = true{mypy}\n",
        encoding="utf-8",
    )
    return root


def project_target(
    roles: Mapping[str, str], *, src_layout: bool, base: str = "Model", alias: bool = True
) -> Target:
    """Where ``bap add`` would put each role in a project made by ``make_project``."""
    prefix = "src/" if src_layout else ""
    session = (
        SessionRef("app.db", "DbSession", "alias", Ref("app.db", "get_db"))
        if alias
        else SessionRef("app.db", "get_db", "function")
    )
    return Target(
        paths={role: path if role == "tests" else prefix + path for role, path in roles.items()},
        base=Ref("app.db", base),
        session=session,
        import_root="src" if src_layout else "",
        existing=frozenset({"db"}),
        modules={"db": "app.db"},
        models={"User": {"module": "app.models.user", "table": "users", "pk_type": "int"}},
    )


def render_into_project(
    root: Path, pattern: str, params: Mapping[str, str], target: Target
) -> list[str]:
    """Render ``pattern`` into the project at ``root`` as ``bap add`` does; the paths."""
    files = render_pattern(pattern, dict(params), with_tests=True, target=target).files
    write_files(files, root)
    return [f.path for f in files]


def assert_project_clean(root: Path) -> None:
    """The whole project passes ruff's default rules and the stricter selection (isolated:
    no config), ruff format --check and mypy --strict (with the project's mypy config)."""
    ruff = [str(BIN / "ruff"), "check", "--isolated", "--no-cache", "--target-version", "py311"]
    for extra in ([], ["--select", "E,F,W,I,B,UP,ASYNC,RUF"]):
        lint = _run([*ruff, *extra, "."], root)
        assert lint.returncode == 0, f"ruff check {extra} failed:\n{lint.stdout}{lint.stderr}"
    fmt = _run([str(BIN / "ruff"), "format", "--isolated", "--no-cache", "--check", "."], root)
    assert fmt.returncode == 0, f"ruff format --check failed:\n{fmt.stdout}{fmt.stderr}"
    sources = [p for p in ("src", "app", "tests") if (root / p).is_dir()]
    typed = _run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--cache-dir",
            str(MYPY_CACHE),
            "--no-error-summary",
            "--python-version",
            "3.11",
            *sources,
        ],
        root,
    )
    assert typed.returncode == 0, f"mypy --strict failed:\n{typed.stdout}{typed.stderr}"


def assert_default_rules_pass(folder: Path) -> None:
    """The rendering passes the pinned ruff's default rule set (no selection, no config)."""
    lint = _run(
        [str(BIN / "ruff"), "check", "--isolated", "--no-cache", "--target-version", "py311", "."],
        folder,
    )
    assert lint.returncode == 0, f"ruff check (default rules) failed:\n{lint.stdout}{lint.stderr}"


# The pyproject.toml of a sample project a rendering is added to (project mode): its own
# line length, lint selection, mypy strict and pytest-asyncio mode ({mode}), import root {root}.
PROJECT_PYPROJECT = """[project]
name = "sample"
version = "0.1.0"
requires-python = ">=3.11"

[tool.pytest.ini_options]
pythonpath = ["{root}"]
asyncio_mode = "{mode}"
asyncio_default_fixture_loop_scope = "function"
filterwarnings = ["error"]

[tool.ruff]
line-length = 100
target-version = "py311"

[tool.ruff.lint]
select = ["E", "F", "W", "I", "B", "UP", "ASYNC", "RUF", "SIM", "C4"]

[tool.mypy]
strict = true
python_version = "3.11"
mypy_path = "{root}"
"""
