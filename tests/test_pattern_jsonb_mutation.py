"""The jsonb_mutation pattern: renderings that lint, type-check and pass their own tests on
PostgreSQL, and the JSONB pitfalls it is about, shown against a real PostgreSQL."""

from __future__ import annotations

import asyncio
import copy
import importlib
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

import pytest
import pytest_asyncio
from rendered import (
    PROJECT_PYPROJECT,
    assert_clean,
    assert_rendered_tests_pass,
    render_into,
    serve_rendering,
)
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.pool import NullPool

from backend_patterns.errors import ParamError
from backend_patterns.render import Ref, SessionRef, Target, render, render_pattern, write_files

PATTERN = "jsonb_mutation"
RENDERED = ("db", "models", "jsonb_ops", "router", "app")

RENDERED_TESTS = 12  # tests in the standalone rendered module; all must run, none may skip
PROJECT_TESTS = 11  # in a project: the same, less the one of the standalone app

# id -> (params, the route of one resource, the route of its JSONB document)
PARAM_SETS: dict[str, tuple[dict[str, str], str, str]] = {
    "defaults": ({}, "/agents/{agent_id}", "/agents/{agent_id}/agent-metadata"),
    "plain-jsonb": (
        {
            "resource": "InvoiceLineItem",
            "column": "line_item_attributes",
            "tracking": "flag_modified",
        },
        "/invoice-line-items/{invoice_line_item_id}",
        "/invoice-line-items/{invoice_line_item_id}/line-item-attributes",
    ),
    "acronym-and-route": (
        {"resource": "HTTPRequest", "column": "payload", "route": "/api/v1/requests"},
        "/api/v1/requests/{http_request_id}",
        "/api/v1/requests/{http_request_id}/payload",
    ),
    "short-names-root-route": (
        {"resource": "Job", "column": "d", "route": "/"},
        "/{job_id}",
        "/{job_id}/d",
    ),
}


# The pytest configuration all four patterns ship.
PYTEST_INI = (
    "[pytest]\n"
    "asyncio_mode = strict\n"
    "asyncio_default_fixture_loop_scope = function\n"
    "asyncio_default_test_loop_scope = function\n"
)


class Rendering(NamedTuple):
    models: Any
    ops: Any
    tracking: str


def import_rendered(folder: Path) -> dict[str, ModuleType]:
    """Import a rendering's modules without leaving them (or evicting others) in sys.modules.

    Every pattern renders top-level modules such as ``models`` and ``app``; several renderings
    imported into one process must not see each other's.
    """
    saved = {name: sys.modules.pop(name) for name in RENDERED if name in sys.modules}
    sys.path.insert(0, str(folder))
    importlib.invalidate_caches()
    try:
        return {name: importlib.import_module(name) for name in RENDERED}
    finally:
        sys.path.remove(str(folder))
        for name in RENDERED:
            sys.modules.pop(name, None)
        sys.modules.update(saved)


# --- renderings --------------------------------------------------------------------------------


def test_defaults_render_the_canonical_example() -> None:
    files = {f.path: f.content for f in render(PATTERN)}
    assert sorted(files) == ["app.py", "db.py", "jsonb_ops.py", "models.py", "router.py"]
    assert "class Agent(Base):" in files["models.py"]
    assert "from db import Base\n" in files["models.py"]
    assert "router = APIRouter(" in files["router.py"]
    assert "FastAPI" not in files["router.py"]
    assert "from router import router\n" in files["app.py"]
    # the db module crud_endpoint and service_layer render too: Base, get_session, SessionDep
    assert "\nclass Base(AsyncAttrs, DeclarativeBase):" in files["db.py"]
    assert "\nasync def get_session(request: Request)" in files["db.py"]
    assert "\nSessionDep = Annotated[AsyncSession, Depends(get_session)]" in files["db.py"]
    assert '__tablename__ = "agents"' in files["models.py"]
    assert "agent_metadata: Mapped[dict[str, Any]]" in files["models.py"]
    assert "MutableDict.as_mutable(JSONB())" in files["models.py"]
    with_tests = {f.path: f.content for f in render(PATTERN, with_tests=True)}
    assert "test_agents_jsonb.py" in with_tests
    assert with_tests["pytest.ini"] == PYTEST_INI


def test_flag_modified_tracking_renders_a_plain_jsonb_column() -> None:
    files = {f.path: f.content for f in render(PATTERN, {"tracking": "flag_modified"})}
    assert "MutableDict" not in files["models.py"]
    assert "        JSONB()," in files["models.py"]


@pytest.mark.parametrize("column", ["metadata", "registry", "id"])
def test_a_reserved_column_name_is_refused(column: str) -> None:
    with pytest.raises(ParamError, match="reserved") as caught:
        render(PATTERN, {"column": column})
    assert caught.value.param == "column"


def test_the_cli_refuses_metadata_with_one_line_and_exit_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "backend_patterns",
            "render",
            PATTERN,
            "--set",
            "column=metadata",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "reserved" in lines[0]
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
@pytest.mark.parametrize(
    ("params", "item_route", "doc_route"), PARAM_SETS.values(), ids=PARAM_SETS.keys()
)
def test_rendering_is_clean_and_its_tests_pass_on_postgres(
    params: dict[str, str], item_route: str, doc_route: str, tmp_path: Path, database_url: str
) -> None:
    folder = render_into(tmp_path / "out", PATTERN, params)
    assert_clean(folder)
    assert_default_ruff(folder)
    app = import_rendered(folder)["app"].app
    operations = {
        (method.upper(), path) for path, item in app.openapi()["paths"].items() for method in item
    }
    collection = item_route.rsplit("/", 1)[0] or "/"
    assert operations == {
        ("POST", collection),
        ("GET", item_route),
        ("PATCH", doc_route),
        ("DELETE", f"{doc_route}/{{key}}"),
        ("POST", f"{doc_route}/{{key}}/increment"),
    }
    out = assert_rendered_tests_pass(folder, {"TEST_DATABASE_URL": database_url})
    assert f"{RENDERED_TESTS} passed" in out, out


# --- the pitfalls, on a real PostgreSQL ----------------------------------------------------------


@pytest.fixture(scope="module", params=["flag_modified", "mutable_dict"])
def rendering(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Rendering:
    """The default rendering, with a plain JSONB column or a MutableDict one."""
    folder = tmp_path_factory.mktemp(f"jsonb-{request.param}")
    render_into(folder, PATTERN, {"tracking": request.param}, with_tests=False)
    modules = import_rendered(folder)
    return Rendering(modules["models"], modules["jsonb_ops"], request.param)


@pytest_asyncio.fixture(scope="module")
async def sessions(
    rendering: Rendering, database_url: str
) -> AsyncIterator[async_sessionmaker[Any]]:
    """Sessions on the rendered model, in a schema of their own (dropped afterwards)."""
    schema = f"test_bap_jsonb_{uuid.uuid4().hex[:16]}"
    admin = create_async_engine(database_url, poolclass=NullPool)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine: AsyncEngine = create_async_engine(
        database_url, connect_args={"server_settings": {"search_path": schema}}
    )
    try:
        async with engine.begin() as conn:
            await conn.run_sync(rendering.models.Base.metadata.create_all)
        yield async_sessionmaker(engine, expire_on_commit=False)
    finally:
        await engine.dispose()
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


async def _new(sessions: async_sessionmaker[Any], agent: Any, doc: dict[str, Any]) -> int:
    async with sessions() as session:
        obj = agent(agent_metadata=doc)
        session.add(obj)
        await session.commit()
        return int(obj.id)


async def _stored(sessions: async_sessionmaker[Any], agent: Any, row_id: int) -> dict[str, Any]:
    """What PostgreSQL holds, read back by a fresh session."""
    async with sessions() as session:
        obj = await session.get(agent, row_id)
        assert obj is not None
        return dict(obj.agent_metadata)


async def _edit(
    sessions: async_sessionmaker[Any], agent: Any, row_id: int, change: Any
) -> dict[str, Any]:
    """Load the row, apply ``change(obj)``, commit, and return what was stored."""
    async with sessions() as session:
        obj = await session.get(agent, row_id)
        assert obj is not None
        change(obj)
        await session.commit()
    return await _stored(sessions, agent, row_id)


async def test_reassigning_the_same_dict_is_lost_on_plain_jsonb(
    rendering: Rendering, sessions: async_sessionmaker[Any]
) -> None:
    agent = rendering.models.Agent
    start = {"status": "idle"}

    def same_dict(obj: Any) -> None:
        d = obj.agent_metadata
        d["status"] = "busy"
        obj.agent_metadata = d

    def same_dict_then_flag(obj: Any) -> None:
        same_dict(obj)
        flag_modified(obj, "agent_metadata")

    def deep_copy(obj: Any) -> None:
        d = copy.deepcopy(obj.agent_metadata)
        d["status"] = "busy"
        obj.agent_metadata = d

    lost = await _edit(sessions, agent, await _new(sessions, agent, start), same_dict)
    if rendering.tracking == "flag_modified":
        assert lost == {"status": "idle"}  # the pitfall is real: no UPDATE was sent
    else:
        assert lost == {"status": "busy"}  # MutableDict saw the top-level __setitem__
    for fix in (same_dict_then_flag, deep_copy):
        saved = await _edit(sessions, agent, await _new(sessions, agent, start), fix)
        assert saved == {"status": "busy"}, fix.__name__


async def test_a_shallow_copy_with_a_nested_edit_is_lost(
    rendering: Rendering, sessions: async_sessionmaker[Any]
) -> None:
    agent = rendering.models.Agent
    start = {"profile": {"tier": "free"}, "n": 1}

    def shallow_copy(obj: Any) -> None:
        d = dict(obj.agent_metadata)
        d["profile"]["tier"] = "pro"  # the nested dict is shared with the loaded value
        obj.agent_metadata = d

    def deep_copy(obj: Any) -> None:
        d = copy.deepcopy(obj.agent_metadata)
        d["profile"]["tier"] = "pro"
        obj.agent_metadata = d

    def with_the_helper(obj: Any) -> None:
        rendering.ops.set_nested(obj, ["profile", "tier"], "pro")

    # lost with either tracking: old and new values compare equal, so no UPDATE is sent
    lost = await _edit(sessions, agent, await _new(sessions, agent, start), shallow_copy)
    assert lost == start
    for fix in (deep_copy, with_the_helper):
        saved = await _edit(sessions, agent, await _new(sessions, agent, start), fix)
        assert saved == {"profile": {"tier": "pro"}, "n": 1}, fix.__name__


async def test_atomic_helpers_persist_the_same_nested_change(
    rendering: Rendering, sessions: async_sessionmaker[Any]
) -> None:
    agent, ops = rendering.models.Agent, rendering.ops
    row_id = await _new(sessions, agent, {"profile": {"tier": "free"}})
    async with sessions() as session:
        await ops.set_path(session, row_id, ["profile", "tier"], "pro")
        await session.commit()
    assert await _stored(sessions, agent, row_id) == {"profile": {"tier": "pro"}}


async def test_fifty_concurrent_atomic_increments_give_fifty(
    rendering: Rendering, sessions: async_sessionmaker[Any]
) -> None:
    agent, ops = rendering.models.Agent, rendering.ops
    row_id = await _new(sessions, agent, {})

    async def bump() -> None:
        async with sessions() as session:
            await ops.increment(session, row_id, ["stats", "runs"])
            await session.commit()

    await asyncio.gather(*(bump() for _ in range(50)))
    assert await _stored(sessions, agent, row_id) == {"stats": {"runs": 50}}


# --- uvicorn app:app ---------------------------------------------------------------------------


@pytest.fixture
def scratch_database(database_url: str) -> Iterator[str]:
    """A database of its own, so ``uvicorn app:app`` can create its tables where it likes."""
    name = f"bap_jsonb_{uuid.uuid4().hex[:16]}"

    async def run(sql: str) -> None:
        admin = create_async_engine(database_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        try:
            async with admin.connect() as conn:
                await conn.execute(text(sql))
        finally:
            await admin.dispose()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.mark.slow
def test_uvicorn_serves_the_rendering_and_creates_its_tables(
    tmp_path: Path, scratch_database: str
) -> None:
    import httpx2

    folder = render_into(tmp_path, PATTERN, with_tests=False)
    with (
        serve_rendering(folder, {"DATABASE_URL": scratch_database}) as base,
        httpx2.Client(base_url=base, timeout=10) as client,
    ):
        created = client.post("/agents", json={"agent_metadata": {"a": {"b": 1}}})
        assert created.status_code == 201, created.text
        row_id = created.json()["id"]
        doc_url = f"/agents/{row_id}/agent-metadata"
        merged = client.patch(doc_url, json={"c": 2})
        assert merged.json()["agent_metadata"] == {"a": {"b": 1}, "c": 2}
        deep = client.patch(doc_url, json={"a": {"d": 3}})  # merges into "a": "b" survives
        assert deep.json()["agent_metadata"] == {"a": {"b": 1, "d": 3}, "c": 2}
        bumped = client.post(f"{doc_url}/c/increment", json={"by": 5})
        assert bumped.json() == {"key": "c", "value": 7}
        assert client.get(f"/agents/{row_id}").json()["agent_metadata"]["c"] == 7


# --- lint with no configuration, and a rendering into a project ---------------------------------

BIN = Path(sys.executable).parent
MYPY_CACHE = Path(os.environ.get("BAP_TEST_MYPY_CACHE", "/tmp/bap-test-mypy-cache"))


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run ``args`` in ``cwd``; fail with its output unless it exits 0."""
    full = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | (env or {})
    done = subprocess.run(
        args, cwd=cwd, env=full, capture_output=True, text=True, timeout=600, check=False
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{out}"
    return out


def assert_default_ruff(folder: Path) -> None:
    """The pinned ruff's default rule set, no configuration at all, passes."""
    _run([str(BIN / "ruff"), "check", "--isolated", "--no-cache", "."], folder)


# The project's own database module: its base is not called Base, its session dependency is a
# function (get_db) with an Annotated alias (DbSession) next to it.
PROJECT_DB = '''"""The project's database."""

import os
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

engine = create_async_engine(os.environ.get("DATABASE_URL", "postgresql+asyncpg:///app"))
SessionMaker = async_sessionmaker(engine, expire_on_commit=False)


class Model(DeclarativeBase):
    """The base of every model."""


async def get_db() -> AsyncIterator[AsyncSession]:
    async with SessionMaker() as session:
        yield session


DbSession = Annotated[AsyncSession, Depends(get_db)]
'''

PROJECT_MAIN = '''"""The project's app."""

from fastapi import FastAPI

from app.agents.router import router as agents_router

app = FastAPI()
app.include_router(agents_router)
'''

# id -> (import root, asyncio mode, the session the rendering uses, or None: it brings its db)
PROJECTS: dict[str, tuple[str, str, SessionRef | None]] = {
    "flat-function-auto": ("", "auto", SessionRef("app.core.db", "get_db", kind="function")),
    "src-alias-strict": (
        "src",
        "strict",
        SessionRef("app.core.db", "DbSession", provider=Ref("app.core.db", "get_db")),
    ),
    "flat-shared-db": ("", "strict", None),
}


def project(root: Path, import_root: str, mode: str, own_db: bool) -> Path:
    """A small project: a package ``app`` (below ``src/`` for that layout), maybe its own db."""
    package = root / import_root / "app"
    (package / "core").mkdir(parents=True)
    (package / "agents").mkdir()
    for init in ("__init__.py", "core/__init__.py", "agents/__init__.py"):
        (package / init).write_text("", encoding="utf-8")
    if own_db:
        (package / "core" / "db.py").write_text(PROJECT_DB, encoding="utf-8")
    (package / "main.py").write_text(PROJECT_MAIN, encoding="utf-8")
    (root / "tests").mkdir()
    config = PROJECT_PYPROJECT.format(root=import_root or ".", mode=mode)
    (root / "pyproject.toml").write_text(config, encoding="utf-8")
    return root


@pytest.mark.slow
@pytest.mark.parametrize("case", PROJECTS)
def test_rendering_into_a_project_passes_its_checks_and_tests(
    case: str, tmp_path: Path, database_url: str
) -> None:
    import_root, mode, session = PROJECTS[case]
    root = project(tmp_path / "project", import_root, mode, own_db=session is not None)
    under = f"{import_root}/app" if import_root else "app"
    paths = {
        "db": f"{under}/db.py",
        "models": f"{under}/agents/models.py",
        "ops": f"{under}/agents/jsonb_ops.py",
        "router": f"{under}/agents/router.py",
        "tests": "tests/test_agents_jsonb.py",
    }
    if session is None:  # the project has no db module: the rendering brings its shared one
        base = Ref("app.db", "Base")
        session = SessionRef("app.db", "SessionDep", provider=Ref("app.db", "get_session"))
        existing: frozenset[str] = frozenset()
    else:
        base = Ref("app.core.db", "Model")
        existing = frozenset({"db"})
    target = Target(
        paths=paths, base=base, session=session, import_root=import_root, existing=existing
    )
    rendering = render_pattern(PATTERN, {}, with_tests=True, target=target)
    roles = {f.role: f.path for f in rendering.files}
    assert "app" not in roles  # no app of its own in a project, and no pytest.ini
    assert "pytest_ini" not in roles
    assert ("db" in roles) == (not existing)
    assert roles["router"] == paths["router"]
    files = {f.role: f.content for f in rendering.files}
    assert "from app.agents.models import Agent\n" in files["router"]
    assert f"from {base.module} import {base.name}\n" in files["models"]
    assert "router = APIRouter(" in files["router"]
    assert "import jsonb_ops" not in files["tests"]
    write_files(rendering.files, root)

    _run([str(BIN / "ruff"), "check", "--no-cache", "."], root)  # the project's selection
    assert_default_ruff(root)
    _run([str(BIN / "ruff"), "format", "--no-cache", "--check", "."], root)
    _run([sys.executable, "-m", "mypy", "--cache-dir", str(MYPY_CACHE), "."], root)
    paths_of_app = _run(
        [sys.executable, "-c", "from app.main import app; print(sorted(app.openapi()['paths']))"],
        root,
        {"PYTHONPATH": str(root / import_root)},
    )
    assert "/agents/{agent_id}/agent-metadata" in paths_of_app
    out = _run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        root,
        {"TEST_DATABASE_URL": database_url},
    )
    assert f"{PROJECT_TESTS} passed" in out, out
    assert "skipped" not in out, out
