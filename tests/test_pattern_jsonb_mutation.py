"""The jsonb_mutation pattern: renderings that lint, type-check and pass their own tests on
PostgreSQL, and the JSONB pitfalls it is about, shown against a real PostgreSQL."""

from __future__ import annotations

import asyncio
import copy
import importlib
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

import pytest
import pytest_asyncio
from rendered import assert_clean, assert_rendered_tests_pass, render_into, serve_rendering
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.pool import NullPool

from backend_patterns.errors import ParamError
from backend_patterns.render import render

PATTERN = "jsonb_mutation"
RENDERED = ("models", "jsonb_ops", "app")

RENDERED_TESTS = 9  # tests in the rendered module; all must run, none may skip

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
    assert sorted(files) == ["app.py", "jsonb_ops.py", "models.py"]
    assert "class Agent(Base):" in files["models.py"]
    assert '__tablename__ = "agents"' in files["models.py"]
    assert "agent_metadata: Mapped[dict[str, Any]]" in files["models.py"]
    assert "MutableDict.as_mutable(JSONB())" in files["models.py"]
    with_tests = [f.path for f in render(PATTERN, with_tests=True)]
    assert "test_agents_jsonb.py" in with_tests


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
        bumped = client.post(f"{doc_url}/c/increment", json={"by": 5})
        assert bumped.json() == {"key": "c", "value": 7}
        assert client.get(f"/agents/{row_id}").json()["agent_metadata"]["c"] == 7
