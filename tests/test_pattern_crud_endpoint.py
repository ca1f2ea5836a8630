"""The crud_endpoint pattern: renderings that lint, type-check, import, serve and pass their own
tests on SQLite and PostgreSQL, and the PendingRollbackError pitfall it avoids."""

from __future__ import annotations

import importlib
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx2
import pytest
from rendered import (
    assert_clean,
    assert_default_rules_pass,
    assert_project_clean,
    assert_rendered_tests_pass,
    make_project,
    project_target,
    render_into,
    render_into_project,
    serve_rendering,
)
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, PendingRollbackError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from backend_patterns.render import render, render_pattern

PATTERN = "crud_endpoint"
MODULES = ("db", "models", "schemas", "router", "app")

PARAM_SETS: dict[str, dict[str, str]] = {
    "defaults": {},
    "uuid-jsonb-bool": {
        "resource": "BlogPost",
        "id_type": "uuid",
        "fields": "title:str,body:str,meta:dict,published:bool",
    },
    "decimal-datetime-int-unique": {
        "resource": "Invoice",
        "fields": "number:int,amount:Decimal,issued_at:datetime,ratio:float,notes:str",
        "unique": "number",
    },
    "long-names-root-no-unique": {
        "resource": "WarehouseInventoryAdjust",
        "plural": "warehouse_inventory_adjustments",
        "table": "inventory_adjustments",
        "fields": "adjustment_reference_identifier:str,quantity_delta_for_this_line:int,"
        "supplementary_reason_document:dict",
        "unique": "",
        "prefix": "/",
    },
    # `status` would shadow fastapi.status in the router; a single field, no unique one.
    "name-clash-single-field": {"resource": "Status", "fields": "code:int"},
    # optional fields, a list of strings, foreign keys (standalone: stand-in User and
    # Account tables), and Person's irregular plural (/people).
    "optional-list-references": {
        "resource": "Person",
        "fields": "name:str,nickname:str?,tags:list[str],owner:ref[User],"
        "manager:ref[Account]?,born_at:datetime?,meta:dict?,amount:Decimal,rank:int?",
    },
}


@pytest.fixture(scope="module", params=list(PARAM_SETS))
def rendering(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A rendering (with its tests) that passes ruff (its default rules and a stricter
    selection), ruff format and mypy --strict."""
    folder = render_into(
        tmp_path_factory.mktemp(request.param), PATTERN, PARAM_SETS[request.param]
    )
    assert_clean(folder)
    assert_default_rules_pass(folder)
    return folder


@contextmanager
def imported(folder: Path) -> Iterator[dict[str, ModuleType]]:
    """Import a rendering's top-level modules, leaving sys.modules as it was afterwards.

    Every rendering has modules named ``app``, ``db``...; two of them must never meet.
    """
    saved = {name: sys.modules.pop(name) for name in MODULES if name in sys.modules}
    sys.path.insert(0, str(folder))
    importlib.invalidate_caches()
    try:
        yield {name: importlib.import_module(name) for name in MODULES}
    finally:
        sys.path.remove(str(folder))
        for name in MODULES:
            sys.modules.pop(name, None)
        sys.modules.update(saved)


@pytest.mark.slow
def test_rendering_imports_and_builds_the_routes(rendering: Path) -> None:
    with imported(rendering) as mods:
        paths: dict[str, dict[str, Any]] = mods["app"].app.openapi()["paths"]
        prefix: str = mods["router"].router.prefix
    routes = {(method.upper(), path) for path, ops in paths.items() for method in ops}
    item = next(p for p in paths if "{" in p)
    key = item.rsplit("/", 1)[1]
    assert key.endswith("_id}")
    assert key != "{id}"
    collection = prefix or "/"
    assert routes == {
        ("POST", collection),
        ("GET", collection),
        ("GET", item),
        ("PUT", item),
        ("PATCH", item),
        ("DELETE", item),
    }
    responses = paths[item]["delete"]["responses"]
    assert "204" in responses
    assert "201" in paths[collection]["post"]["responses"]


@pytest.mark.slow
def test_rendered_tests_pass_on_sqlite(rendering: Path, tmp_path: Path) -> None:
    out = assert_rendered_tests_pass(rendering, env={"TEST_DATABASE_URL": ""})
    assert " failed" not in out


@pytest.mark.slow
def test_rendered_tests_pass_on_postgresql(rendering: Path, database_url: str) -> None:
    out = assert_rendered_tests_pass(rendering, env={"TEST_DATABASE_URL": database_url})
    assert " failed" not in out


def test_defaults_are_the_canonical_example() -> None:
    files = {f.path: f.content for f in render(PATTERN, {}, with_tests=True)}
    assert set(files) == {
        "app.py",
        "db.py",
        "models.py",
        "schemas.py",
        "router.py",
        "test_items_api.py",
        "pytest.ini",
    }
    router, models, schemas = files["router.py"], files["models.py"], files["schemas.py"]
    assert 'APIRouter(prefix="/items", tags=["items"], route_class=AllowingRoute)' in router
    assert "item_id: ItemId" in router
    assert "ItemId = Annotated[int, Path(ge=1, le=2**31 - 1)]" in router
    assert "model_dump(exclude_unset=True)" in router
    assert "status_code=status.HTTP_201_CREATED" in router
    assert "status_code=status.HTTP_204_NO_CONTENT" in router
    assert "await session.rollback()" in router
    assert "HTTP_409_CONFLICT" in router
    assert 'response.headers["Location"]' in router
    assert "order_by(Item.id)" in router
    assert "func.count()" in router
    assert "Query(ge=1, le=100)" in router
    assert '__tablename__ = "items"' in models
    assert "name: Mapped[str] = mapped_column(String(255), unique=True)" in models
    assert 'ConfigDict(extra="forbid")' in schemas
    assert "from_attributes=True" in schemas
    assert "lifespan=lifespan" in files["app.py"]
    assert "responses=NOT_FOUND" in router  # every status documented, with its body
    assert "route_class=AllowingRoute" in router  # a 405 names every method of the path
    assert 'WithJsonSchema({"type": "string"' not in schemas  # no Decimal here
    assert files["pytest.ini"] == (
        "[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n"
        "asyncio_default_test_loop_scope = function\n"
    )
    assert "on_event" not in files["app.py"]
    for content in files.values():
        assert ".dict()" not in content
        assert "(id:" not in content
        assert " id: int," not in content.split("class")[0]


def test_dict_fields_are_jsonb_on_postgresql_json_elsewhere() -> None:
    files = {f.path: f.content for f in render(PATTERN, {"fields": "title:str,meta:dict"})}
    assert 'JSONDocument = JSON().with_variant(JSONB(), "postgresql")' in files["models.py"]
    assert "meta: Mapped[dict[str, Any]] = mapped_column(JSONDocument)" in files["models.py"]
    assert "JSON" not in files["db.py"]  # the db module is the same for every rendering


def test_the_db_module_is_the_one_service_layer_renders() -> None:
    """One db module serves both patterns: Base, get_session and SessionDep."""
    crud = {f.path: f.content for f in render(PATTERN, {"fields": "a:Decimal,b:datetime"})}
    service = {f.path: f.content for f in render("service_layer", {})}
    assert crud["db.py"] == service["db.py"]
    for name in ("class Base(", "async def get_session(", "SessionDep = Annotated["):
        assert name in crud["db.py"]


def test_optional_list_and_reference_fields() -> None:
    params = {"resource": "Person", "fields": "name:str,nick:str?,tags:list[str],owner:ref[User]"}
    files = {f.path: f.content for f in render(PATTERN, params)}
    models, schemas, router = files["models.py"], files["schemas.py"], files["router.py"]
    assert 'APIRouter(prefix="/people", tags=["people"]' in router
    assert '__tablename__ = "people"' in models
    assert "nick: Mapped[str | None] = mapped_column(Text)" in models
    assert "tags: Mapped[list[str]] = mapped_column(JSONDocument)" in models
    assert 'owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)' in models
    assert "class User(Base):" in models  # standalone: a stand-in for the referenced table
    assert "nick: LongText | None = None" in schemas  # optional in Create, nullable in PATCH
    assert "name: ShortText | SkipJsonSchema[None] = None" in schemas  # not nullable
    assert "owner_id: RowId" in schemas
    assert '"type": "missing_reference"' in router  # a dangling reference is a 422


def test_imports_follow_the_target_modules(tmp_path: Path) -> None:
    """Into a project: no module name is hard-coded; the project's Base, session alias and
    User model are used, and no app, db module or pytest.ini is written."""
    target = project_target(ROLES, src_layout=False, base="Model", alias=True)
    params = {"resource": "Product", "fields": "name:str,owner:ref[User]"}
    files = {
        f.path: f.content
        for f in render_pattern(PATTERN, params, with_tests=True, target=target).files
    }
    assert sorted(files) == sorted(v for k, v in ROLES.items() if k != "db")
    models, router = files["app/models/product.py"], files["app/api/routes/products.py"]
    assert "from app.db import Model\n" in models
    assert "class Product(Model):" in models
    assert "class User(" not in models  # the project's own User is referred to
    assert "from app.db import DbSession\n" in router
    assert "from app.models.product import Product\n" in router
    assert "session: DbSession," in router
    tests = files["tests/test_products.py"]
    assert "from app.api.routes.products import router\n" in tests
    assert "from app.db import Model, get_db\n" in tests
    assert "from app.models.user import User\n" in tests
    assert "app.dependency_overrides[get_db]" in tests
    function = project_target(ROLES, src_layout=False, alias=False)
    routed = render_pattern(PATTERN, params, target=function).files
    router = next(f.content for f in routed if f.role == "router")
    assert "SessionDep = Annotated[AsyncSession, Depends(get_db)]" in router


ROLES = {
    "models": "app/models/product.py",
    "schemas": "app/schemas/product.py",
    "router": "app/api/routes/products.py",
    "tests": "tests/test_products.py",
    "db": "app/db.py",
}
PROJECTS = {
    # layout, Base name, session as an Annotated alias or a function, the project's mode
    "package-alias-auto": (False, "Model", True, "auto"),
    "src-function-strict": (True, "Base", False, "strict"),
}


@pytest.mark.slow
@pytest.mark.parametrize("project", list(PROJECTS))
def test_rendered_into_a_project_lints_and_passes(
    project: str, tmp_path: Path, database_url: str
) -> None:
    """``bap add``'s rendering in an existing project: the whole project passes ruff (default
    rules and the stricter selection), ruff format and mypy --strict, and the added tests pass
    with the project's own pytest configuration, on PostgreSQL and SQLite."""
    src_layout, base, alias, mode = PROJECTS[project]
    root = make_project(tmp_path / "project", src_layout=src_layout, base=base, asyncio_mode=mode)
    target = project_target(ROLES, src_layout=src_layout, base=base, alias=alias)
    params = {
        "resource": "Product",
        "fields": "name:str,price:Decimal,note:str?,tags:list[str],owner:ref[User]?",
    }
    written = render_into_project(root, PATTERN, params, target)
    assert "tests/test_products.py" in written
    assert not (root / "pytest.ini").exists()
    assert_project_clean(root)
    for url in (database_url, f"sqlite+aiosqlite:///{tmp_path}/project.db"):
        out = assert_rendered_tests_pass(root, env={"TEST_DATABASE_URL": url})
        assert " failed" not in out


@pytest.mark.slow
def test_uvicorn_serves_the_default_rendering(tmp_path: Path) -> None:
    """`uvicorn app:app` as written by `bap render --out`: tables at start-up, real HTTP."""
    folder = render_into(tmp_path / "svc", PATTERN, {}, with_tests=False)
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/served.db"}
    with (
        serve_rendering(folder, env, probe="/items") as base,
        httpx2.Client(base_url=base, timeout=5) as http,
    ):
        body = {"name": "served", "description": "over loopback", "quantity": 3}
        created = http.post("/items", json=body)
        assert created.status_code == 201, created.text
        assert created.headers["location"] == f"{base}/items/{created.json()['id']}"
        assert http.get(created.headers["location"]).json()["name"] == "served"
        assert http.post("/items", json=body).status_code == 409
        page = http.get("/items", params={"limit": 1}).json()
        assert (page["total"], len(page["items"])) == (1, 1)
    assert (tmp_path / "served.db").is_file()


# ---- the pitfall: PendingRollbackError when an IntegrityError is not rolled back ----


@pytest.fixture(scope="module")
def default_rendering(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_into(tmp_path_factory.mktemp("pitfall"), PATTERN, {}, with_tests=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def pitfall_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/pitfall.db"
    url: str = request.getfixturevalue("database_url")  # outside the event loop: it pings
    return url


@pytest.fixture
async def pitfall_engine(pitfall_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on its own SQLite file, or on its own PostgreSQL schema (dropped after)."""
    if pitfall_url.startswith("sqlite"):
        engine = create_async_engine(pitfall_url)
        yield engine
        await engine.dispose()
        return
    url = pitfall_url
    schema = f"bap_crud_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(url)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_async_engine(url, execution_options={"schema_translate_map": {None: schema}})
    try:
        yield engine
    finally:
        await engine.dispose()
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


async def test_pitfall_unrolled_back_integrity_error_poisons_the_session(
    default_rendering: Path, pitfall_engine: AsyncEngine
) -> None:
    """Without a rollback, the session refuses all further work after an IntegrityError."""
    with imported(default_rendering) as mods:
        item_cls: Any = mods["models"].Item
        base: Any = mods["db"].Base
        sessionmaker = mods["db"].make_sessionmaker(pitfall_engine)
    async with pitfall_engine.begin() as conn:
        await conn.run_sync(base.metadata.create_all)
    async with sessionmaker() as session:
        session.add(item_cls(name="taken", description="first", quantity=1))
        await session.commit()
        session.add(item_cls(name="taken", description="duplicate", quantity=2))
        with pytest.raises(IntegrityError):
            await session.commit()
        # The mistake: carry on with the same session without rolling back.
        with pytest.raises(PendingRollbackError):
            await session.scalar(select(func.count()).select_from(item_cls))
        with pytest.raises(PendingRollbackError):
            await session.commit()
        # A rollback is the cure.
        await session.rollback()
        assert await session.scalar(select(func.count()).select_from(item_cls)) == 1


async def test_rendered_409_path_leaves_the_session_usable(
    default_rendering: Path, pitfall_engine: AsyncEngine
) -> None:
    """The rendered router answers 409 and rolls back: the very same session keeps working."""
    with imported(default_rendering) as mods:
        app = mods["app"].create_app(pitfall_engine)
        get_session = mods["db"].get_session
        item_cls: Any = mods["models"].Item
        sessionmaker = mods["db"].make_sessionmaker(pitfall_engine)
    shared: AsyncSession = sessionmaker()

    async def one_shared_session() -> AsyncIterator[AsyncSession]:
        yield shared  # every request gets this one session, so we can inspect it afterwards

    app.dependency_overrides[get_session] = one_shared_session
    body = {"name": "taken", "description": "first", "quantity": 1}
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://test") as http:
            assert (await http.post("/items", json=body)).status_code == 201
            clash = await http.post("/items", json={**body, "description": "again"})
            assert clash.status_code == 409, clash.text
            # The session that saw the IntegrityError is usable: no PendingRollbackError.
            assert await shared.scalar(select(func.count()).select_from(item_cls)) == 1
            other = await http.post("/items", json={**body, "name": "free"})
            assert other.status_code == 201, other.text
            item_id = other.json()["id"]
            renamed = await http.patch(f"/items/{item_id}", json={"name": "taken"})
            assert renamed.status_code == 409, renamed.text
            assert (await http.get(f"/items/{item_id}")).json()["name"] == "free"
        await shared.close()
