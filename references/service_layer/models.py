"""ORM models: Order owns a collection of OrderLine rows.

Relationships are ``lazy="raise"``: touching one that was not loaded explicitly (with
``selectinload``) raises at once instead of doing hidden IO, which async code cannot do.
"""

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db import Base


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(200), unique=True)
    customer: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(String(200))
    order_lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order",
        cascade="all, delete-orphan",
        lazy="raise",
        order_by="OrderLine.id",
    )


class OrderLine(Base):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"),
        index=True,
    )
    sku: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column()
    order: Mapped[Order] = relationship(
        back_populates="order_lines",
        lazy="raise",
    )
