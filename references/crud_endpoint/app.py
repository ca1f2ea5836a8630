"""The items service. Run it with: uvicorn app:app

DATABASE_URL picks the database (see db); the tables are created at start-up.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from db import Base, make_engine, make_sessionmaker
from router import router


def create_app(engine: AsyncEngine | None = None) -> FastAPI:
    """The application, on ``engine`` (default: one for DATABASE_URL)."""
    db_engine = engine if engine is not None else make_engine()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with db_engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        app.state.sessionmaker = make_sessionmaker(db_engine)
        yield
        await db_engine.dispose()

    app = FastAPI(title="Item API", lifespan=lifespan)
    app.include_router(router)
    return app


app = create_app()
