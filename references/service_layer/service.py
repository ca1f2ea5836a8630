"""The service: the operations on Order, and the owner of the transaction.

Every write commits here, before the caller builds a response, so a failing commit
becomes an error the caller sees. Reads load the children explicitly (``selectinload``).
"""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from errors import ConflictError, NotFoundError
from models import (
    Order,
    OrderLine,
)
from schemas import (
    OrderCreate,
    OrderLineCreate,
    OrderUpdate,
)

# Reads load the children in one extra query; touching an unloaded relationship raises.
LOAD_ORDER_LINES = selectinload(Order.order_lines)


class OrderService:
    """Use one instance, and one session, per request or task: a session must not be
    shared between concurrent tasks (e.g. ``asyncio.gather``).
    """

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(self, data: OrderCreate) -> Order:
        order = Order(
            **data.model_dump(exclude={"order_lines"}),
        )
        for child_data in data.order_lines:
            order_line = OrderLine(**child_data.model_dump())
            order.order_lines.append(order_line)
        self.session.add(order)
        await self._commit(f"reference {data.reference!r} is already taken")
        return order

    async def get(self, order_id: int) -> Order:
        stmt = select(Order).options(LOAD_ORDER_LINES)
        stmt = stmt.where(Order.id == order_id)
        order = await self.session.scalar(stmt)
        if order is None:
            raise NotFoundError(f"order {order_id} not found")
        return order

    async def get_many(
        self,
        *,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Order]:
        stmt = select(Order).options(LOAD_ORDER_LINES)
        stmt = stmt.order_by(Order.id).limit(limit).offset(offset)
        return list(await self.session.scalars(stmt))

    async def update(
        self,
        order_id: int,
        data: OrderUpdate,
    ) -> Order:
        order = await self.get(order_id)
        for attr, new_value in data.model_dump(exclude_none=True).items():
            setattr(order, attr, new_value)
        await self._commit("the change conflicts with existing data")
        return order

    async def delete(self, order_id: int) -> None:
        order = await self.get(order_id)
        await self.session.delete(order)
        await self._commit("it is still referenced")

    async def add_order_line(
        self,
        order_id: int,
        data: OrderLineCreate,
    ) -> OrderLine:
        order = await self.get(order_id)
        order_line = OrderLine(**data.model_dump())
        order.order_lines.append(order_line)
        await self._commit("the new item conflicts with existing data")
        return order_line

    async def _commit(self, conflict: str) -> None:
        try:
            await self.session.commit()
        except IntegrityError as exc:
            await self.session.rollback()
            raise ConflictError(conflict) from exc
