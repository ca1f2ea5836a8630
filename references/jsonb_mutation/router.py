"""HTTP endpoints that change ``Agent.agent_metadata`` atomically.

Every change to the JSONB column is one locked read-modify-write or one
server-side UPDATE (see the jsonb operations), so concurrent requests never
lose each other's changes. PATCH merges deeply: nested objects merge key by key.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Path
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError

from db import SessionDep
from jsonb_ops import increment, merge, remove_key
from models import Agent

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


class Problem(BaseModel):
    detail: str


AgentId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Key = Annotated[
    str,
    Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$"),
]
Patch = Annotated[dict[str, Any], Body(max_length=MAX_KEYS)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No Agent has this id"},
}

router = APIRouter(tags=["agents"])


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


@router.get(ITEM, responses=NOT_FOUND)
async def read_agent(
    agent_id: AgentId,
    session: SessionDep,
) -> AgentRead:
    obj = await session.get(Agent, agent_id)
    if obj is None:
        raise HTTPException(status_code=404, detail="Agent not found")
    return AgentRead.model_validate(obj)


@router.patch(DOC, responses=NOT_FOUND)
async def merge_agent_metadata(
    agent_id: AgentId,
    patch: Patch,
    session: SessionDep,
) -> AgentRead:
    """Merge ``patch`` deeply: nested objects merge key by key, other values
    replace; the row is locked while it is merged."""
    doc = await merge(session, agent_id, patch)
    await session.commit()
    return _found(agent_id, doc)


@router.delete(DOC + "/{key}", responses=NOT_FOUND)
async def remove_agent_metadata_key(
    agent_id: AgentId,
    key: Key,
    session: SessionDep,
) -> AgentRead:
    """Remove one top-level key (``-``), atomically."""
    doc = await remove_key(session, agent_id, key)
    await session.commit()
    return _found(agent_id, doc)


@router.post(
    DOC + "/{key}/increment",
    responses={
        **NOT_FOUND,
        409: {"model": Problem, "description": "The value at the key is not a number"},
    },
)
async def increment_agent_metadata_key(
    agent_id: AgentId,
    key: Key,
    body: Increment,
    session: SessionDep,
) -> Counter:
    """Add ``by`` to a top-level number (missing counts as 0), atomically."""
    try:
        value = await increment(
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
