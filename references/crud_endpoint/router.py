"""HTTP endpoints for items.

Create, read, list (paginated), replace (PUT), update (PATCH) and delete.
"""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response, status
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db import SessionDep
from models import Item
from schemas import ItemCreate, ItemRead, ItemUpdate, Page

router = APIRouter(prefix="/items", tags=["items"])

# The range of the integer primary key: an out-of-range id is a 422, not a 500.
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1)]


async def get_or_404(
    session: AsyncSession,
    item_id: int,
) -> Item:
    item = await session.get(Item, item_id)
    if item is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Item not found")
    return item


async def commit_or_409(session: AsyncSession) -> None:
    """Commit; on a constraint violation roll back and answer 409 Conflict.

    The database decides what is unique: a SELECT before the INSERT would race with
    other requests. The rollback keeps the session usable (otherwise its next use
    raises PendingRollbackError).
    """
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail="Conflicts with existing data (a unique value is already taken)",
        ) from None


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_item(
    payload: ItemCreate,
    session: SessionDep,
    request: Request,
    response: Response,
) -> ItemRead:
    item = Item(**payload.model_dump())
    session.add(item)
    await commit_or_409(session)
    location = request.url_for("read_item", item_id=item.id)
    response.headers["Location"] = str(location)
    return ItemRead.model_validate(item)


@router.get("")
async def list_items(
    session: SessionDep,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Page[ItemRead]:
    total = await session.scalar(select(func.count()).select_from(Item))
    statement = select(Item).order_by(Item.id)
    rows = await session.scalars(statement.limit(limit).offset(offset))
    return Page[ItemRead](
        items=[ItemRead.model_validate(row) for row in rows],
        total=total or 0,
        limit=limit,
        offset=offset,
    )


@router.get("/{item_id}")
async def read_item(
    item_id: ItemId,
    session: SessionDep,
) -> ItemRead:
    item = await get_or_404(session, item_id)
    return ItemRead.model_validate(item)


@router.put("/{item_id}")
async def replace_item(
    item_id: ItemId,
    payload: ItemCreate,
    session: SessionDep,
) -> ItemRead:
    """Full replacement: every field is required and every field is written."""
    item = await get_or_404(session, item_id)
    for key, value in payload.model_dump().items():
        setattr(item, key, value)
    await commit_or_409(session)
    return ItemRead.model_validate(item)


@router.patch("/{item_id}")
async def update_item(
    item_id: ItemId,
    payload: ItemUpdate,
    session: SessionDep,
) -> ItemRead:
    """Partial update: only the fields present in the body change."""
    item = await get_or_404(session, item_id)
    for key, value in payload.model_dump(exclude_unset=True).items():
        setattr(item, key, value)
    await commit_or_409(session)
    return ItemRead.model_validate(item)


@router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_item(
    item_id: ItemId,
    session: SessionDep,
) -> None:
    item = await get_or_404(session, item_id)
    await session.delete(item)
    await commit_or_409(session)  # e.g. a row elsewhere still refers to this one
