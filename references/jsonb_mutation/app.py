"""The app: the Agent router, its tables created at start-up.

DATABASE_URL names the PostgreSQL database (asyncpg driver), see the db module.
Run: DATABASE_URL=postgresql+asyncpg://user@host/dbname uvicorn app:app
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from db import Base, make_engine, make_sessionmaker
from router import router


def create_app(engine: AsyncEngine | None = None) -> FastAPI:
    """The app. An ``engine`` you pass in is yours: the app does not dispose it."""
    owned = engine is None
    db = make_engine() if engine is None else engine

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with db.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        app.state.sessionmaker = make_sessionmaker(db)
        yield
        if owned:
            await db.dispose()

    application = FastAPI(title="Agent", lifespan=lifespan)
    application.include_router(router)
    return application


app = create_app()
