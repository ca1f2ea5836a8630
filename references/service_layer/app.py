"""The Order service as an app: ``uvicorn app:app``.

It reads DATABASE_URL (an async SQLAlchemy URL; default: a local SQLite file) and
creates its tables at start-up. The router maps the domain errors to statuses itself.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from db import Base, make_engine, make_sessionmaker
from router import router


def create_app(
    database_url: str | None = None,
    *,
    schema: str | None = None,
) -> FastAPI:
    """The app. ``database_url`` defaults to $DATABASE_URL; ``schema`` puts the tables
    in that (existing) PostgreSQL schema. Nothing connects before start-up.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db_engine = make_engine(database_url, schema=schema)
        try:
            async with db_engine.begin() as conn:
                await conn.run_sync(Base.metadata.create_all)
            app.state.sessionmaker = make_sessionmaker(db_engine)
            yield
        finally:
            await db_engine.dispose()

    app = FastAPI(title="Order service", lifespan=lifespan)
    app.include_router(router)
    return app


app = create_app()
