"""The service_layer pattern: renderings that lint, type-check and pass their own tests on SQLite
and on PostgreSQL, and the shape of what it renders. The session pitfalls it is about are shown
in test_pitfalls_session.py."""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

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

from backend_patterns._console import error_line
from backend_patterns.cli import word as cli_word
from backend_patterns.errors import ParamError
from backend_patterns.render import render, render_pattern

PATTERN = "service_layer"
RENDERED = ("errors", "models", "schemas", "db", "service", "router", "app")

# id -> params. Together they use every field type, short, long and acronym names, a nested
# route and the root route.
PARAM_SETS: dict[str, dict[str, str]] = {
    "defaults": {},
    "invoice-every-type": {
        "resource": "Invoice",
        "key": "number",
        "fields": "customer:str,total:Decimal,issued_at:datetime,paid:bool,rate:float",
        "child": "InvoiceItem",
        "child_fields": "description:str,amount:Decimal,meta:dict,position:int",
        "collection": "items",
        "route": "/billing/invoices",
    },
    "long-names": {
        "resource": "SubscriptionPlan",
        "key": "slug",
        "fields": "price:float,trial_days:int,features:dict,active:bool",
        "child_fields": "name:str,limit_value:int,enabled:bool",
    },
    "acronym-short-root-route": {
        "resource": "HTTPRequest",
        "key": "k",
        "fields": "ok:bool",
        "child": "Tag",
        "child_fields": "v:str",
        "route": "/",
    },
    "optional-list-references": {
        "resource": "Person",
        "fields": "nickname:str?,tags:list[str],owner:ref[User],born_at:datetime?,balance:Decimal",
        "child_fields": "label:str,note:str?,count:int,account:ref[Account]?",
    },
}

# id -> the routes its app must serve
ROUTES: dict[str, set[str]] = {
    "defaults": {
        "/orders",
        "/orders/{order_id}",
        "/orders/{order_id}/order-lines",
    },
    "invoice-every-type": {
        "/billing/invoices",
        "/billing/invoices/{invoice_id}",
        "/billing/invoices/{invoice_id}/items",
    },
    "long-names": {
        "/subscription-plans",
        "/subscription-plans/{subscription_plan_id}",
        "/subscription-plans/{subscription_plan_id}/subscription-plan-lines",
    },
    "acronym-short-root-route": {
        "/",
        "/{http_request_id}",
        "/{http_request_id}/tags",
    },
    "optional-list-references": {
        "/people",
        "/people/{person_id}",
        "/people/{person_id}/person-lines",
    },
}


@contextmanager
def imported(folder: Path) -> Iterator[dict[str, ModuleType]]:
    """Import a rendering's top-level modules; put ``sys.modules`` back as it was afterwards.

    Other renderings (of this and other patterns) have modules with the same names.
    """
    saved = {name: sys.modules.pop(name) for name in RENDERED if name in sys.modules}
    sys.path.insert(0, str(folder))
    importlib.invalidate_caches()
    try:
        yield {name: importlib.import_module(name) for name in RENDERED}
    finally:
        sys.path.remove(str(folder))
        for name in RENDERED:
            sys.modules.pop(name, None)
        sys.modules.update(saved)


def contents(params: dict[str, str] | None = None, *, with_tests: bool = False) -> dict[str, str]:
    return {f.path: f.content for f in render(PATTERN, params or {}, with_tests=with_tests)}


def test_defaults_render_the_order_example() -> None:
    files = contents()
    assert sorted(files) == sorted(f"{name}.py" for name in RENDERED)
    models, service = files["models.py"], files["service.py"]
    assert "class Order(Base):" in models
    assert "class OrderLine(Base):" in models
    assert 'order_lines: Mapped[list["OrderLine"]] = relationship(' in models
    assert models.count('        lazy="raise",\n') == 2
    assert "MetaData(naming_convention=NAMING_CONVENTION)" in files["db.py"]
    assert "from db import Base\n" in models
    assert "class OrderService:" in service
    assert "LOAD_ORDER_LINES = selectinload(Order.order_lines)" in service
    assert "await self.session.commit()" in service
    assert "async_sessionmaker(engine, expire_on_commit=False)" in files["db.py"]
    assert "lifespan=lifespan" in files["app.py"]


def test_the_service_commits_and_the_dependency_does_not() -> None:
    files = contents()
    dependency = files["db.py"].split("async def get_session", 1)[1]
    assert "yield session" in dependency
    assert "commit" not in dependency.split("yield session", 1)[1]
    for name in ("router.py", "app.py"):
        assert ".commit(" not in files[name], name
    assert "on_event" not in "".join(files.values())
    assert ".dict(" not in "".join(files.values())


def test_tests_render_only_when_asked() -> None:
    assert "test_order_service.py" not in contents()
    with_tests = contents(with_tests=True)
    assert "test_order_service.py" in with_tests
    assert "asyncio_default_fixture_loop_scope" in with_tests["pytest.ini"]


def test_derived_names_follow_the_resource() -> None:
    files = contents({"resource": "BlogPost"})
    assert "class BlogPostLine(Base):" in files["models.py"]
    assert '__tablename__ = "blog_posts"' in files["models.py"]
    assert '__tablename__ = "blog_post_lines"' in files["models.py"]
    assert 'APIRouter(prefix="/blog-posts"' in files["router.py"]
    assert "async def add_blog_post_line(" in files["service.py"]


def test_local_names_never_shadow_the_functions_names() -> None:
    service = contents({"resource": "Service", "child": "Session"})["service.py"]
    assert "service_row = await self.get(service_id)" in service
    assert "session_row = Session(**data.model_dump())" in service


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"resource": "order"}, "PascalCase"),
        ({"fields": "total:Decimel"}, "Did you mean 'Decimal'?"),
        ({"child_fields": "id:int"}, "reserved"),
        ({"resorce": "Order"}, "Did you mean 'resource'?"),
        ({"key": "Reference"}, "snake_case"),
    ],
)
def test_bad_params_are_one_line_errors(params: dict[str, str], message: str) -> None:
    with pytest.raises(ParamError) as info:
        render(PATTERN, params)
    text = error_line(info.value, cli_word)
    assert text.startswith("Error: ")
    assert "\n" not in text
    assert message in text


@pytest.mark.slow
@pytest.mark.parametrize("param_id", list(PARAM_SETS))
def test_rendering_is_clean_and_its_tests_pass_on_sqlite_and_postgres(
    param_id: str, tmp_path: Path, database_url: str
) -> None:
    folder = render_into(tmp_path / param_id, PATTERN, PARAM_SETS[param_id])
    assert_clean(folder)
    assert_default_rules_pass(folder)
    rendered_tests = next(folder.glob("test_*.py")).read_text().count("\nasync def test_")

    with imported(folder) as modules:
        app = modules["app"].app
        assert set(app.openapi()["paths"]) == ROUTES[param_id]
        base = modules["db"].Base
        relationships = [rel for mapper in base.registry.mappers for rel in mapper.relationships]
        assert len(relationships) == 2
        assert {rel.lazy for rel in relationships} == {"raise"}
        engine = modules["db"].make_engine("sqlite+aiosqlite://")
        assert modules["db"].make_sessionmaker(engine).kw["expire_on_commit"] is False

    for url in ("", database_url):  # "" makes the rendered tests use a SQLite file
        out = assert_rendered_tests_pass(folder, {"TEST_DATABASE_URL": url})
        assert re.search(rf"\b{rendered_tests} passed\b", out), out


@pytest.mark.slow
def test_uvicorn_serves_the_rendering_as_written(tmp_path: Path) -> None:
    """``uvicorn app:app`` in the rendered folder, no settings: SQLite file, tables at start."""
    import httpx2

    folder = render_into(tmp_path, PATTERN, with_tests=False)
    with (
        serve_rendering(folder, {"DATABASE_URL": None}, probe="/orders") as base,
        httpx2.Client(base_url=base, timeout=10) as client,
    ):
        listed = client.get("/orders")
        assert listed.status_code == 200
        assert listed.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
        order = {
            "reference": "A-1",
            "customer": "c",
            "note": "n",
            "order_lines": [{"sku": "s", "quantity": 2}],
        }
        created = client.post("/orders", json=order)
        assert created.status_code == 201, created.text
        order_id = created.json()["id"]
        assert created.headers["location"] == f"{base}/orders/{order_id}"
        fetched = client.get(f"/orders/{order_id}").json()
        assert fetched["order_lines"][0]["quantity"] == 2
        assert client.post("/orders", json=order).status_code == 409
    assert (folder / "app.db").is_file()


ROLES = {
    "errors": "app/orders/errors.py",
    "models": "app/orders/models.py",
    "schemas": "app/orders/schemas.py",
    "service": "app/orders/service.py",
    "router": "app/orders/router.py",
    "tests": "tests/test_orders.py",
    "db": "app/db.py",
}


def test_imports_follow_the_target_modules() -> None:
    """Into a project (domain folders): the project's Base and session dependency, modules
    named by their place; no app, db module or pytest.ini."""
    target = project_target(ROLES, src_layout=True, base="Model", alias=False)
    params = {"fields": "customer:str,owner:ref[User]?"}
    files = {f.role: f.content for f in render_pattern(PATTERN, params, target=target).files}
    assert sorted(files) == ["errors", "models", "router", "schemas", "service"]
    assert "from app.db import Model\n" in files["models"]
    assert "class Order(Model):" in files["models"]
    assert 'ForeignKey("users.id")' in files["models"]
    assert "class User(" not in files["models"]
    router = files["router"]
    assert "    session: Annotated[AsyncSession, Depends(get_db)],\n" in router
    assert "from app.orders.service import OrderService\n" in router
    assert "from app.db import get_db\n" in router


PROJECTS = {
    "package-alias-auto": (False, "Model", True, "auto"),
    "src-function-strict": (True, "Base", False, "strict"),
}


@pytest.mark.slow
@pytest.mark.parametrize("project", list(PROJECTS))
def test_rendered_into_a_project_lints_and_passes(
    project: str, tmp_path: Path, database_url: str
) -> None:
    """``bap add``'s rendering in domain folders of an existing project: the whole project
    passes ruff (default rules and the stricter selection), ruff format and mypy --strict,
    and the added tests pass on PostgreSQL with the project's own pytest configuration."""
    src_layout, base, alias, mode = PROJECTS[project]
    root = make_project(tmp_path / "project", src_layout=src_layout, base=base, asyncio_mode=mode)
    package = root / ("src/app" if src_layout else "app") / "orders"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    target = project_target(ROLES, src_layout=src_layout, base=base, alias=alias)
    params = {
        "fields": "customer:str,note:str?,total:Decimal,tags:list[str],owner:ref[User]",
        "child_fields": "sku:str,quantity:int",
    }
    written = render_into_project(root, PATTERN, params, target)
    assert "tests/test_orders.py" in written
    assert not (root / "pytest.ini").exists()
    assert_project_clean(root)
    out = assert_rendered_tests_pass(root, env={"TEST_DATABASE_URL": database_url})
    assert " failed" not in out
