"""The session pitfalls the service_layer pattern is about, each shown to be real against
PostgreSQL, next to the rendered pattern avoiding it:

- attributes expired by a commit raise MissingGreenlet in async code; lazy loads do hidden IO;
- a commit after ``yield`` in a dependency runs after the response has been sent;
- one AsyncSession shared by ``asyncio.gather`` fails (InvalidRequestError or its subclass
  IllegalStateChangeError, depending on where the tasks collide); a session per task works.
"""

# No ``from __future__ import annotations``: FastAPI must resolve the annotations of the
# endpoints defined inside the tests.

import asyncio
import gc
import re
import socket
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any

import httpx2
import pytest
import pytest_asyncio
import uvicorn
from fastapi import Depends, FastAPI
from rendered import render_into
from sqlalchemy import event, select, text
from sqlalchemy.exc import (
    IntegrityError,
    InvalidRequestError,
    MissingGreenlet,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import lazyload
from test_pattern_service_layer import PATTERN, imported

WAIT = 10.0  # seconds: an upper bound for things that happen at once, never a measurement

Rendering = dict[str, ModuleType]


@pytest.fixture(scope="module")
def rendering(tmp_path_factory: pytest.TempPathFactory) -> Rendering:
    """The default rendering (Order with OrderLine children), imported."""
    folder: Path = render_into(tmp_path_factory.mktemp("service_layer"), PATTERN)
    with imported(folder) as modules:
        return modules


@pytest_asyncio.fixture(scope="module")
async def schema(database_url: str, rendering: Rendering) -> AsyncIterator[str]:
    """A PostgreSQL schema of this module's own, dropped at the end."""
    name = f"bap_pitfalls_{uuid.uuid4().hex[:12]}"
    admin = rendering["db"].make_engine(database_url)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield name
    finally:
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        await admin.dispose()


@pytest_asyncio.fixture(scope="module")
async def engine(
    database_url: str, schema: str, rendering: Rendering
) -> AsyncIterator[AsyncEngine]:
    """The rendering's engine, its tables in ``schema``."""
    engine = rendering["db"].make_engine(database_url, schema=schema)
    async with engine.begin() as conn:
        await conn.run_sync(rendering["models"].Base.metadata.create_all)
    yield engine
    await engine.dispose()


def new_order(rendering: Rendering, lines: int = 2, **values: Any) -> Any:
    """An ``OrderCreate`` with a unique reference."""
    data = {"reference": f"ref-{uuid.uuid4().hex}", "customer": "first", "note": "n"}
    items = [{"sku": f"sku-{i}", "quantity": i + 1} for i in range(lines)]
    return rendering["schemas"].OrderCreate(**{**data, **values, "order_lines": items})


@contextmanager
def counting_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SQL statements sent to the database while the block runs."""
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


@contextmanager
def driver_call_abandoned() -> Iterator[None]:
    """MissingGreenlet abandons the driver call it could not await; its coroutine is then
    garbage with a 'never awaited' RuntimeWarning. Collect it here, where that is expected."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "coroutine .* was never awaited", RuntimeWarning)
        try:
            yield
        finally:
            gc.collect()


# --- 1. expired attributes and lazy loads: implicit IO that async code cannot do -----------


async def test_expire_on_commit_makes_attribute_access_raise_missing_greenlet(
    rendering: Rendering, engine: AsyncEngine
) -> None:
    order_class = rendering["models"].Order

    # The pitfall: SQLAlchemy's default expire_on_commit=True expires every attribute on
    # commit; reading one afterwards is a reload, i.e. IO inside an attribute access.
    async with async_sessionmaker(engine)() as session:
        order = order_class(reference=f"ref-{uuid.uuid4().hex}", customer="c", note="n")
        session.add(order)
        await session.commit()
        # The reload needs IO (a connection, a query) inside a plain attribute access.
        with driver_call_abandoned(), pytest.raises(MissingGreenlet, match="IO attempted"):
            _ = order.customer

    # The pattern's sessions keep the committed values: no IO, no error.
    sessions = rendering["db"].make_sessionmaker(engine)
    async with sessions() as session:
        order = order_class(reference=f"ref-{uuid.uuid4().hex}", customer="c", note="n")
        session.add(order)
        await session.commit()
        with counting_statements(engine) as sent:
            assert order.customer == "c"
            assert order.id > 0
        assert sent == []


async def test_lazy_raise_refuses_the_io_a_lazy_load_would_attempt(
    rendering: Rendering, engine: AsyncEngine
) -> None:
    models = rendering["models"]
    order_class = models.Order
    sessions = rendering["db"].make_sessionmaker(engine)
    async with sessions() as session:
        created = await rendering["service"].OrderService(session).create(new_order(rendering))
        order_id = created.id

    # The pitfall: an ordinary lazy load (lazy="select", SQLAlchemy's default) runs a query
    # when the attribute is touched, which fails in async code with MissingGreenlet.
    async with sessions() as session:
        query = select(order_class).where(order_class.id == order_id)
        order = await session.scalar(query.options(lazyload(order_class.order_lines)))
        with driver_call_abandoned(), counting_statements(engine) as sent:
            with pytest.raises(MissingGreenlet):
                _ = order.order_lines
            del order
        assert sent, "the lazy load went to the database"

    # The pattern: lazy="raise" refuses at once, names the relationship and sends nothing.
    async with sessions() as session:
        order = await session.get(order_class, order_id)
        refused = r"Order\.order_lines.*lazy='raise'"
        with (
            counting_statements(engine) as sent,
            pytest.raises(InvalidRequestError, match=refused),
        ):
            _ = order.order_lines
        assert sent == []

    # ... and the service loads the children explicitly (selectinload), usable after close.
    async with sessions() as session:
        order = await rendering["service"].OrderService(session).get(order_id)
    assert [(line.sku, line.quantity) for line in order.order_lines] == [
        ("sku-0", 1),
        ("sku-1", 2),
    ]


# --- 2. a commit after ``yield`` runs after the response was sent --------------------------


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[httpx2.AsyncClient]:
    """Serve ``app`` with uvicorn on 127.0.0.1 (a free port); yield a client talking to it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(WAIT):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("uvicorn stopped during start-up")
                await asyncio.sleep(0.01)
        async with httpx2.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=WAIT) as client:
            yield client
    finally:
        server.should_exit = True
        await task
        sock.close()


async def count_orders(engine: AsyncEngine, rendering: Rendering, reference: str) -> list[str]:
    """The customers of the saved orders with ``reference``."""
    order_class = rendering["models"].Order
    async with rendering["db"].make_sessionmaker(engine)() as session:
        query = select(order_class.customer).where(order_class.reference == reference)
        return list(await session.scalars(query))


async def test_a_commit_after_yield_fails_after_the_client_got_its_response(
    rendering: Rendering, engine: AsyncEngine, database_url: str, schema: str
) -> None:
    order_class = rendering["models"].Order
    sessions = rendering["db"].make_sessionmaker(engine)
    taken = new_order(rendering)
    async with sessions() as session:
        await rendering["service"].OrderService(session).create(taken)

    # The pitfall: a dependency that commits after ``yield``. Its exit waits until the test
    # has the response in hand: with FastAPI >= 0.118 that exit code runs after the response
    # is sent, so the request completes. (Were it run before, the client would time out.)
    response_seen = asyncio.Event()
    commit_done = asyncio.Event()
    commit_errors: list[Exception] = []

    async def session_committed_after_yield() -> AsyncIterator[AsyncSession]:
        async with sessions() as session:
            yield session
            await response_seen.wait()
            try:
                await session.commit()
            except Exception as exc:
                commit_errors.append(exc)
                raise
            finally:
                commit_done.set()

    pitfall = FastAPI()

    @pitfall.post("/orders", status_code=201)
    async def create_order(
        body: dict[str, str],
        session: Annotated[AsyncSession, Depends(session_committed_after_yield)],
    ) -> dict[str, str]:
        session.add(order_class(**body))
        return body

    body = {"reference": taken.reference, "customer": "second", "note": "n"}
    async with serving(pitfall) as client:
        response = await client.post("/orders", json=body)
        assert response.status_code == 201
        assert response.json() == body
        response_seen.set()
        async with asyncio.timeout(WAIT):
            await commit_done.wait()
    assert len(commit_errors) == 1
    assert isinstance(commit_errors[0], IntegrityError)
    # The client was told 201, yet nothing of its order was saved.
    assert await count_orders(engine, rendering, taken.reference) == ["first"]

    # The pattern: the service commits before the response is built, so the same failure
    # reaches the client as 409, and a good request is saved before its 201 arrives.
    app = rendering["app"].create_app(database_url, schema=schema)
    async with serving(app) as client:
        response = await client.post(
            "/orders", json=new_order(rendering, reference=taken.reference).model_dump(mode="json")
        )
        assert response.status_code == 409
        assert taken.reference in response.json()["detail"]
        fresh = new_order(rendering, customer="third")
        response = await client.post("/orders", json=fresh.model_dump(mode="json"))
        assert response.status_code == 201
        assert await count_orders(engine, rendering, fresh.reference) == ["third"]
    assert await count_orders(engine, rendering, taken.reference) == ["first"]


# --- 3. one AsyncSession shared by concurrent tasks -----------------------------------------


async def test_one_session_shared_by_gather_fails_a_session_per_task_works(
    rendering: Rendering, engine: AsyncEngine
) -> None:
    service_class = rendering["service"].OrderService
    update_class = rendering["schemas"].OrderUpdate
    sessions = rendering["db"].make_sessionmaker(engine)
    async with sessions() as session:
        service = service_class(session)
        ids = [(await service.create(new_order(rendering))).id for _ in range(4)]

    # The pitfall: the same session (one service) used by several tasks at once.
    async with sessions() as session:
        shared = service_class(session)
        results = await asyncio.gather(
            *(shared.update(i, update_class(customer=f"shared-{i}")) for i in ids),
            return_exceptions=True,
        )
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors, "concurrent use of one session went unnoticed"
    assert all(isinstance(e, InvalidRequestError) for e in errors), errors
    concurrent = re.compile(r"concurrent operations are not permitted|already in progress")
    assert all(concurrent.search(str(e)) for e in errors), errors

    # The pattern: one session (and one service) per task.
    async def update_alone(order_id: int) -> str:
        async with sessions() as session:
            order = await service_class(session).update(
                order_id, update_class(customer=f"own-{order_id}")
            )
            return str(order.customer)

    assert await asyncio.gather(*(update_alone(i) for i in ids)) == [f"own-{i}" for i in ids]
    async with sessions() as session:
        order_class = rendering["models"].Order
        saved = await session.execute(
            select(order_class.id, order_class.customer).where(order_class.id.in_(ids))
        )
        assert dict(saved.all()) == {i: f"own-{i}" for i in ids}
