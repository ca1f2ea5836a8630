"""Engine and sessions, created by the app's lifespan: nothing connects on import."""

from collections.abc import AsyncIterator

from fastapi import Request
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def make_engine(url: str, *, schema: str | None = None) -> AsyncEngine:
    """An engine for ``url``; with ``schema``, tables live in that PostgreSQL schema."""
    engine = create_async_engine(url, pool_pre_ping=True)
    if schema is not None:
        engine = engine.execution_options(schema_translate_map={None: schema})
    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: after a commit, attributes stay readable without a reload,
    # which in async code would be implicit IO and raise MissingGreenlet.
    return async_sessionmaker(engine, expire_on_commit=False)


async def open_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request. It only closes the session: the service commits.

    Code after ``yield`` runs after the response has been sent (FastAPI >= 0.118), so a
    commit here could fail while the client already holds a success response.
    """
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        yield session
