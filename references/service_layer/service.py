"""The service: the operations on Order, and the owner of the transaction.

Every write commits here, before the caller builds a response, so a failing commit
becomes an error the caller sees. Reads load the children explicitly (``selectinload``).
"""

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from errors import ConflictError, MissingReferenceError, NotFoundError
from models import Order, OrderLine
from schemas import OrderCreate, OrderLineCreate, OrderUpdate

# Reads load the children in one extra query; touching an unloaded relationship raises.
LOAD_ORDER_LINES = selectinload(Order.order_lines)


def violates_a_reference(exc: IntegrityError) -> bool:
    """A foreign key violation: PostgreSQL's SQLSTATE 23503, or SQLite's message."""
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code == "23503" or "FOREIGN KEY" in str(exc.orig)


class OrderService:
    """Use one instance, and one session, per request or task: a session must not be
    shared between concurrent tasks (e.g. ``asyncio.gather``).
    """

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(self, data: OrderCreate) -> Order:
        # The children are given to the constructor, so the collection is loaded (even
        # when empty) and readable after the commit.
        children = [OrderLine(**item.model_dump()) for item in data.order_lines]
        order = Order(
            **data.model_dump(exclude={"order_lines"}),
            order_lines=children,
        )
        self.session.add(order)
        await self._commit(f"reference {data.reference!r} is already taken")
        return order

    async def get(self, order_id: int) -> Order:
        stmt = select(Order).options(LOAD_ORDER_LINES)
        stmt = stmt.where(Order.id == order_id)
        order = await self.session.scalar(stmt)
        if order is None:
            msg = f"order {order_id} not found"
            raise NotFoundError(msg)
        return order

    async def get_many(
        self,
        *,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Order], int]:
        """One page of rows (ordered by id), and the total count."""
        total = await self.session.scalar(
            select(func.count()).select_from(Order),
        )
        stmt = select(Order).options(LOAD_ORDER_LINES)
        stmt = stmt.order_by(Order.id).limit(limit).offset(offset)
        return list(await self.session.scalars(stmt)), total or 0

    async def update(
        self,
        order_id: int,
        data: OrderUpdate,
    ) -> Order:
        order = await self.get(order_id)
        for attr, new_value in data.model_dump(exclude_unset=True).items():
            setattr(order, attr, new_value)
        await self._commit("the change conflicts with existing data")
        return order

    async def delete(self, order_id: int) -> None:
        order = await self.get(order_id)
        await self.session.delete(order)
        await self._commit("it is still referenced", writing=False)

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

    async def _commit(self, conflict: str, *, writing: bool = True) -> None:
        """Commit; a broken constraint rolls back (the session stays usable) and raises
        MissingReferenceError (the data refers to a missing row) or ConflictError."""
        try:
            await self.session.commit()
        except IntegrityError as exc:
            await self.session.rollback()
            if writing and violates_a_reference(exc):
                msg = "the data refers to a row that does not exist"
                raise MissingReferenceError(msg) from exc
            raise ConflictError(conflict) from exc
