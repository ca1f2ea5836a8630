"""HTTP endpoints for items.

Create, read, list (paginated), replace (PUT), update (PATCH) and delete. Every status a
route answers is in the OpenAPI schema with its body.
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response, status
from fastapi.routing import APIRoute
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import Receive, Scope, Send

from db import SessionDep
from models import Item
from schemas import ItemCreate, ItemRead, ItemUpdate, Page, Problem

# The methods of each path, for the Allow header of a 405.
PATH_METHODS: dict[str, set[str]] = {}


class AllowingRoute(APIRoute):
    """Answers a method its path lacks with 405 and an Allow header that names every
    method of the path (by default it names only the first route's)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        PATH_METHODS.setdefault(self.path, set()).update(self.methods or ())

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in (self.methods or ()):
            allow = ", ".join(sorted(PATH_METHODS[self.path]))
            raise HTTPException(
                status.HTTP_405_METHOD_NOT_ALLOWED, headers={"Allow": allow}
            )
        await super().handle(scope, receive, send)


router = APIRouter(prefix="/items", tags=["items"], route_class=AllowingRoute)

# The range of the integer primary key: an out-of-range id is a 422, not a 500.
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1)]

# The error responses, documented with their body.
BAD_BODY: dict[int | str, dict[str, Any]] = {
    status.HTTP_400_BAD_REQUEST: {
        "model": Problem,
        "description": "The body is not valid JSON",
    },
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    status.HTTP_404_NOT_FOUND: {
        "model": Problem,
        "description": "No such item",
    },
}
CONFLICT: dict[int | str, dict[str, Any]] = {
    status.HTTP_409_CONFLICT: {
        "model": Problem,
        "description": "Conflicts with existing data (e.g. a unique value is taken)",
    },
}


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


@router.post(
    "", status_code=status.HTTP_201_CREATED, responses={**BAD_BODY, **CONFLICT}
)
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


@router.get("/{item_id}", responses=NOT_FOUND)
async def read_item(
    item_id: ItemId,
    session: SessionDep,
) -> ItemRead:
    item = await get_or_404(session, item_id)
    return ItemRead.model_validate(item)


@router.put("/{item_id}", responses={**BAD_BODY, **NOT_FOUND, **CONFLICT})
async def replace_item(
    item_id: ItemId,
    payload: ItemCreate,
    session: SessionDep,
) -> ItemRead:
    """Full replacement: every field is written (optional ones left out become null)."""
    item = await get_or_404(session, item_id)
    for key, value in payload.model_dump().items():
        setattr(item, key, value)
    await commit_or_409(session)
    return ItemRead.model_validate(item)


@router.patch("/{item_id}", responses={**BAD_BODY, **NOT_FOUND, **CONFLICT})
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


@router.delete(
    "/{item_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**NOT_FOUND, **CONFLICT},
)
async def delete_item(
    item_id: ItemId,
    session: SessionDep,
) -> None:
    item = await get_or_404(session, item_id)
    await session.delete(item)
    # A 409 when a row elsewhere still refers to this one.
    await commit_or_409(session)
