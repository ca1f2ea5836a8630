"""HTTP routes: thin, they parse the input, call the service and shape the output."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from sqlalchemy.ext.asyncio import AsyncSession

from db import open_session
from schemas import (
    OrderCreate,
    OrderLineCreate,
    OrderLineRead,
    OrderRead,
    OrderUpdate,
)
from service import OrderService


def service_for_request(
    session: Annotated[AsyncSession, Depends(open_session)],
) -> OrderService:
    return OrderService(session)


ServiceDep = Annotated[OrderService, Depends(service_for_request)]

router = APIRouter(prefix="/orders", tags=["orders"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_order(
    data: OrderCreate,
    service: ServiceDep,
) -> OrderRead:
    order = await service.create(data)
    return OrderRead.model_validate(order)


@router.get("")
async def list_orders(
    service: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[OrderRead]:
    rows = await service.get_many(limit=limit, offset=offset)
    return [OrderRead.model_validate(row) for row in rows]


@router.get("/{order_id}")
async def get_order(
    order_id: int,
    service: ServiceDep,
) -> OrderRead:
    order = await service.get(order_id)
    return OrderRead.model_validate(order)


@router.patch("/{order_id}")
async def update_order(
    order_id: int,
    data: OrderUpdate,
    service: ServiceDep,
) -> OrderRead:
    order = await service.update(order_id, data)
    return OrderRead.model_validate(order)


@router.delete("/{order_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_order(
    order_id: int,
    service: ServiceDep,
) -> None:
    await service.delete(order_id)


@router.post(
    "/{order_id}/order-lines",
    status_code=status.HTTP_201_CREATED,
)
async def add_order_line(
    order_id: int,
    data: OrderLineCreate,
    service: ServiceDep,
) -> OrderLineRead:
    order_line = await service.add_order_line(
        order_id,
        data,
    )
    return OrderLineRead.model_validate(order_line)
