"""The Order service as an app: ``uvicorn app:app``.

It reads DATABASE_URL (an async SQLAlchemy URL; default: a local SQLite file) and
creates its tables at start-up.
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from db import make_engine, make_sessionmaker
from errors import ConflictError, NotFoundError
from models import Base
from router import router

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./app.db"


def create_app(
    database_url: str | None = None,
    *,
    schema: str | None = None,
) -> FastAPI:
    """The app. ``database_url`` defaults to $DATABASE_URL; ``schema`` puts the tables
    in that (existing) PostgreSQL schema.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = database_url or os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
        engine = make_engine(url, schema=schema)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(Base.metadata.create_all)
            app.state.sessionmaker = make_sessionmaker(engine)
            yield
        finally:
            await engine.dispose()

    app = FastAPI(title="Order service", lifespan=lifespan)
    app.include_router(router)

    # Domain errors become HTTP statuses here; the service itself knows nothing of HTTP.
    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_404_NOT_FOUND)

    @app.exception_handler(ConflictError)
    async def conflict(request: Request, exc: ConflictError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_409_CONFLICT)

    return app


app = create_app()
