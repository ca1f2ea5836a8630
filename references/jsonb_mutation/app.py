"""A FastAPI app whose endpoints change the JSONB column atomically.

Run it with ``uvicorn app:app``. It reads ``DATABASE_URL`` (PostgreSQL with the
asyncpg driver) and creates its tables at start-up. Every change to the JSONB
column is one server-side UPDATE (see jsonb_ops.py), so concurrent requests
never lose each other's changes.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, HTTPException, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

import jsonb_ops
from models import Agent, Base

DATABASE_URL = os.environ.get(
    "DATABASE_URL",
    "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
)
MAX_KEYS = 100  # top-level keys accepted in one request body
ITEM = "/agents/{agent_id}"
DOC = ITEM + "/agent-metadata"


class AgentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_metadata: dict[str, Any] = Field(
        default_factory=dict,
        max_length=MAX_KEYS,
    )


class AgentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    agent_metadata: dict[str, Any]


class Increment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    by: int = Field(default=1, ge=-1_000_000, le=1_000_000)


class Counter(BaseModel):
    key: str
    value: int | float


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    async with sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
Key = Annotated[
    str,
    Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$"),
]
Patch = Annotated[dict[str, Any], Body(max_length=MAX_KEYS)]

router = APIRouter()


def _found(
    agent_id: int,
    doc: dict[str, Any] | None,
) -> AgentRead:
    if doc is None:
        raise HTTPException(status_code=404, detail="Agent not found")
    return AgentRead(
        id=agent_id,
        agent_metadata=doc,
    )


@router.post("/agents", status_code=201)
async def create_agent(
    body: AgentCreate,
    session: SessionDep,
) -> AgentRead:
    obj = Agent(
        agent_metadata=body.agent_metadata,
    )
    session.add(obj)
    await session.commit()
    return AgentRead.model_validate(obj)


@router.get(ITEM)
async def read_agent(
    agent_id: int,
    session: SessionDep,
) -> AgentRead:
    obj = await session.get(Agent, agent_id)
    if obj is None:
        raise HTTPException(status_code=404, detail="Agent not found")
    return AgentRead.model_validate(obj)


@router.patch(DOC)
async def merge_agent_metadata(
    agent_id: int,
    patch: Patch,
    session: SessionDep,
) -> AgentRead:
    """Add or replace top-level keys (``||``), atomically."""
    doc = await jsonb_ops.merge(session, agent_id, patch)
    await session.commit()
    return _found(agent_id, doc)


@router.delete(DOC + "/{key}")
async def remove_agent_metadata_key(
    agent_id: int,
    key: Key,
    session: SessionDep,
) -> AgentRead:
    """Remove one top-level key (``-``), atomically."""
    doc = await jsonb_ops.remove_key(session, agent_id, key)
    await session.commit()
    return _found(agent_id, doc)


@router.post(DOC + "/{key}/increment")
async def increment_agent_metadata_key(
    agent_id: int,
    key: Key,
    body: Increment,
    session: SessionDep,
) -> Counter:
    """Add ``by`` to a top-level number (missing counts as 0), atomically."""
    try:
        value = await jsonb_ops.increment(
            session,
            agent_id,
            [key],
            body.by,
        )
    except DBAPIError:
        await session.rollback()
        detail = f"'{key}' is not a number"
        raise HTTPException(status_code=409, detail=detail) from None
    await session.commit()
    if value is None:
        raise HTTPException(status_code=404, detail="Agent not found")
    return Counter(key=key, value=value)


def create_app(engine: AsyncEngine | None = None) -> FastAPI:
    """The app. An ``engine`` you pass in is yours: the app does not dispose it."""
    owned = engine is None
    db = create_async_engine(DATABASE_URL) if engine is None else engine

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with db.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        yield
        if owned:
            await db.dispose()

    application = FastAPI(title="Agent", lifespan=lifespan)
    application.state.sessions = async_sessionmaker(db, expire_on_commit=False)
    application.include_router(router)
    return application


app = create_app()
