"""``bap init``: read a project's conventions through the project model and record them; in
an empty folder, first lay down a small runnable skeleton."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from ..errors import BapError
from ..pack import Pack, load_pack
from ..project import SKIP_DIRS, Project
from ..project.conventions import Conventions, detect
from ..render import render_pattern
from ._config import LAYOUTS, record, with_recorded

# flag -> the Conventions attribute it sets
OVERRIDES = {
    "base": "base",
    "session": "session",
    "app": "app",
    "include": "include",
    "package": "package",
    "layout": "layout",
    "tests": "tests",
}

_MAIN = '''"""The application: routers are included here.

Run: uvicorn app.main:app
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.db import make_engine, make_sessionmaker


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """One engine for the app's life; the session dependency reads its sessionmaker."""
    engine = make_engine()
    app.state.sessionmaker = make_sessionmaker(engine)
    yield
    await engine.dispose()


app = FastAPI(title="{name}", lifespan=lifespan)
'''

_PYPROJECT = """[project]
name = "{name}"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = []

[tool.pytest.ini_options]
pythonpath = ["."]
asyncio_mode = "strict"
asyncio_default_fixture_loop_scope = "function"
asyncio_default_test_loop_scope = "function"
"""


def is_empty(root: Path) -> bool:
    """No Python file of the user's (outside virtualenvs and caches)."""
    for _folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        if any(f.endswith(".py") for f in files):
            return False
    return True


def skeleton(root: Path, pack: Pack | None = None) -> dict[str, str]:
    """The files of a small runnable project: ``app/`` with an app and a db module."""
    name = "".join(c if c.isalnum() else "-" for c in root.name).strip("-").lower() or "app"
    pack = pack or load_pack()
    db = None
    for pattern in ("crud_endpoint", "service_layer", "jsonb_mutation"):
        if pattern in pack.patterns and db is None:
            rendering = render_pattern(pattern, {}, pack=pack)
            db = next((f.content for f in rendering.files if f.role == "db"), None)
    if db is None:
        raise BapError("no pattern of the pack has a db module to start the project from.")
    files = {
        "app/__init__.py": "",
        "app/main.py": _MAIN.format(name=name),
        "app/db.py": db,
        "tests/__init__.py": "",
    }
    if not (root / "pyproject.toml").exists():
        files["pyproject.toml"] = _PYPROJECT.format(name=name)
    return files


def conventions(
    root: Path, overrides: Mapping[str, str], project: Project | None = None
) -> Conventions:
    """The project's conventions, flags first; an ambiguity no flag settles is an error."""
    conv = detect(project or Project.load(root))
    for flag, value in overrides.items():
        if not value:
            continue
        attr = OVERRIDES[flag]
        if flag == "layout" and value not in LAYOUTS:
            raise BapError(f"--layout is one of {', '.join(LAYOUTS)}; not {value!r}.")
        if flag in {"base", "session", "app", "include"} and ":" not in value:
            raise BapError(f"--{flag} takes MODULE:NAME, e.g. app.db:Base; not {value!r}.")
        setattr(conv, attr, value)
        conv.ambiguous.pop(flag, None)
        if flag == "session":
            conv.session_provider = conv.session_provider or value
    if "session" in overrides and overrides["session"] and not conv.session_kind:
        conv.session_kind = "alias"
    for key, candidates in conv.ambiguous.items():
        raise BapError(
            f"two or more {key}s fit: {', '.join(candidates)}; pick one with --{key} "
            "(nothing was written)."
        )
    return conv


def _skeleton_conventions() -> Conventions:
    return Conventions(
        layout="package",
        package="app",
        app="app.main:app",
        app_kind="module",
        include="app.main:app",
        base="app.db:Base",
        session="app.db:SessionDep",
        session_kind="alias",
        session_provider="app.db:get_session",
        database_url="DATABASE_URL",
        tests="tests",
    )


def plan_init(
    root: Path, overrides: Mapping[str, str]
) -> tuple[Conventions, dict[str, tuple[str | None, str]]]:
    """The conventions and the files ``bap init`` writes: path -> (old text, new text)."""
    writes: dict[str, tuple[str | None, str]] = {}
    if is_empty(root):
        files = skeleton(root)
        writes.update({path: (None, text) for path, text in files.items()})
        conv = _skeleton_conventions()
    else:
        conv = conventions(root, overrides)
    old, new = with_recorded(root, conv)
    if "pyproject.toml" in writes:
        writes["pyproject.toml"] = (None, record(writes["pyproject.toml"][1], conv))
    elif old != new:
        writes["pyproject.toml"] = (old, new)
    return conv, writes
