"""Database access: the declarative base, the engine, and one session per request.

DATABASE_URL picks the database (default: a local SQLite file); any SQLAlchemy async URL
works, e.g. postgresql+asyncpg://user@host/dbname. Nothing connects on import.
"""

import os
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import MetaData, event
from sqlalchemy.ext.asyncio import (
    AsyncAttrs,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

DATABASE_URL = os.environ.get("DATABASE_URL", "sqlite+aiosqlite:///./app.db")

# Deterministic constraint names, so migrations can find and alter them later.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(AsyncAttrs, DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def enforce_foreign_keys(dbapi_connection: Any, connection_record: Any) -> None:
    """SQLite checks foreign keys only when asked to, per connection."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def make_engine(
    url: str | None = None, *, schema: str | None = None, **options: Any
) -> AsyncEngine:
    """An engine for ``url`` (default: DATABASE_URL). With ``schema``, the tables live
    in that (existing) PostgreSQL schema."""
    engine = create_async_engine(url or DATABASE_URL, pool_pre_ping=True, **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", enforce_foreign_keys)
    if schema is not None:
        engine = engine.execution_options(schema_translate_map={None: schema})
    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: after a commit, attributes stay readable without a reload,
    # which in async code would be implicit IO (MissingGreenlet).
    return async_sessionmaker(engine, expire_on_commit=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request. It only opens and closes the session (rolling back what
    is still open): the code that writes commits before the response is built, because
    the code after ``yield`` may run after the response has been sent."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
